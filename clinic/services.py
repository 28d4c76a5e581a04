"""Clinic-level operations: API tokens, sites, staff roles and patients.

Services are the only writers (see STYLE.md): keyword-only, typed, one transaction each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from clinic import clock
from clinic.display_text import name_problem
from clinic.error_codes import (
    ERR_CLOSURE_EXISTS,
    ERR_CONTACT_MISSING,
    ERR_FIELD_READ_ONLY,
    ERR_LIKELY_DUPLICATE,
    ERR_MRN_TAKEN,
    ERR_REMS_ID_WITHOUT_ENROLMENT,
    ERR_TOKEN_ALREADY_REVOKED,
    ERR_UNKNOWN_ROLE,
    ERR_USER_INACTIVE,
)
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.models import (
    ROLE_ADMIN,
    ROLES,
    ApiToken,
    Closure,
    OpeningHours,
    Patient,
    PreferredContact,
    Resource,
    Site,
)
from clinic.permissions import require_role
from clinic.tokens import hash_token, new_token

log = logging.getLogger(__name__)

# Raw API tokens look like `ict_<43 url-safe characters>`: the prefix tells a leaked string
# apart from other secrets in log scanners, and the first PREFIX_LENGTH characters are kept in
# clear so a person can tell their tokens apart in the admin.
API_TOKEN_PREFIX = "ict"
PREFIX_LENGTH = 12


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return the row and the raw token.

    The raw token is returned once and never stored: the row keeps only its HMAC (see
    clinic/tokens.py), so it cannot be shown again. Lose it, revoke it and make a new one.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("name: give the token a name, e.g. the script that uses it")
    if not user.is_active:
        raise InvalidInput("user: an inactive user cannot get an API token", code=ERR_USER_INACTIVE)
    raw = new_token(API_TOKEN_PREFIX)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=raw[:PREFIX_LENGTH], token_hash=hash_token(raw)
        )
    log.info("api token %s (%s) created for %s", token.pk, token.prefix, user.get_username())
    return token, raw


def api_token_revoke(
    *, token: ApiToken, by: User | None, now: dt.datetime | None = None
) -> ApiToken:
    """Revoke a token at once. Revoking an already revoked token is an error, not a no-op,
    so a script that thinks it revoked a live token learns otherwise."""
    # A credential's stamp: real time, whatever day the clinic clock is pinned to.
    now = now or clock.wall_now()
    with transaction.atomic():
        # Conditional update: two admins revoking at once must not both "succeed".
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if not updated:
            raise Conflict("This token is already revoked.", code=ERR_TOKEN_ALREADY_REVOKED)
    token.revoked_at = now
    who = by.get_username() if by is not None else "system"
    log.info("api token %s (%s) revoked by %s", token.pk, token.prefix, who)
    return token


def site_create(
    *,
    name: str,
    slug: str,
    timezone_name: str,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    rems_certified: bool = False,
    opening_hours: Iterable[tuple[int, dt.time, dt.time]] = (),
    resources: Iterable[tuple[str, str]] = (),
) -> Site:
    """Create a site with its weekly opening hours and resources, validated as a whole.

    `opening_hours` is (weekday 0=Monday, opens, closes); `resources` is (kind, name).
    """
    with transaction.atomic():
        site = Site(
            name=name,
            slug=slug,
            timezone=timezone_name,
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
            rems_certified=rems_certified,
        )
        site.full_clean()
        site.save()
        for weekday, opens, closes in opening_hours:
            hours = OpeningHours(site=site, weekday=weekday, opens=opens, closes=closes)
            hours.full_clean()
            hours.save()
        for kind, resource_name in resources:
            resource = Resource(site=site, kind=kind, name=resource_name)
            resource.full_clean()
            resource.save()
    return site


def site_phone_set(*, site: Site, phone: str, by: User) -> Site:
    """Set the number patients call (shown on their page beside the opening hours). Blank
    clears it. The same light check as patients' numbers; an admin's change is logged."""
    require_role(by, ROLE_ADMIN, action="change the clinic's phone number")
    phone = phone.strip()
    problem = phone_problem(phone) if phone else None
    if problem:
        raise InvalidInput(f"phone: {problem}")
    with transaction.atomic():
        Site.objects.filter(pk=site.pk).update(phone=phone)
    site.phone = phone
    log.info("site %s phone changed by %s", site.pk, by.get_username())
    return site


def site_closure_add(*, site: Site, date: dt.date, reason: str) -> Closure:
    """Close a site for a day (on top of public holidays). Sessions already booked that day
    are re-planned by scheduling; this only records the closure."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the site is closed")
    with transaction.atomic():
        closure, created = Closure.objects.get_or_create(
            site=site, date=date, defaults={"reason": reason[:200]}
        )
        if not created and closure.reason != reason[:200]:
            raise Conflict(
                f"{site} is already closed on {date:%Y-%m-%d}: {closure.reason}",
                code=ERR_CLOSURE_EXISTS,
            )
    return closure


def staff_grant_role(*, user: User, role: str, site: Site | None = None) -> None:
    """Give a user a staff role (a Django group), and membership of `site` if given."""
    if role not in ROLES:
        raise InvalidInput(
            f"role: {role!r} is not one of {', '.join(ROLES)}", code=ERR_UNKNOWN_ROLE
        )
    with transaction.atomic():
        # The groups come from migration clinic/0002_roles; get_or_create guards against a
        # database whose groups were deleted by hand in the admin.
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
        if site is not None:
            site.staff.add(user)


# Patients -----------------------------------------------------------------------------------

PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "rems_enrolled",
    "rems_patient_id",
    "preferred_contact",
    "companion_name",
    "companion_phone",
)
# The fields that say who a patient is: a change to one of them is checked against the site's
# other patients (`_likely_duplicate`).
IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth")
TEXT_FIELDS = (
    *("mrn", "given_name", "family_name", "phone", "email"),
    *("rems_patient_id", "companion_name", "companion_phone"),
)

# A phone number as people write it: digits, spaces, + - . ( ) /, and an extension
# ("x12", "ext. 12"). 5 to 15 digits (15: the longest international number, E.164).
_PHONE = re.compile(r"^\+?[0-9 ().\-/]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
_EXTENSION = re.compile(r"(?:x|ext\.?)\s*[0-9]{1,6}$", re.IGNORECASE)


def phone_problem(number: str) -> str | None:
    """Why `number` is not a phone number (light: the characters and how many digits), or None.
    A blank number is no problem: not every patient has one."""
    if not number:
        return None
    digits = sum(ch.isdigit() for ch in _EXTENSION.sub("", number))
    if not _PHONE.match(number) or not 5 <= digits <= 15:
        return "write a phone number: 5 to 15 digits, spaces and + - ( ), e.g. 555-0100"
    return None


def _xact_lock(key: str) -> None:
    """PostgreSQL: a transaction-scoped advisory lock keyed by a hash of `key`."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )


def mrn_lock(*, site_id: int, mrn: str) -> None:
    """Hold a transaction-scoped lock on one MRN of one site (any letter case) until the
    caller's transaction ends. PostgreSQL: an advisory lock keyed by a hash of the pair, so
    only registrations of the same MRN wait for each other. SQLite takes one database-wide
    write lock per transaction, and the unique constraint settles what gets past it."""
    if connection.vendor != "postgresql":
        return
    _xact_lock(f"{site_id}:{mrn.lower()}")


def identity_lock(*, site_id: int, given_name: str, family_name: str, born: dt.date) -> None:
    """Like `mrn_lock`, for one person (names in any letter case and date of birth) at one
    site: two registrations of the same person under two MRNs, sent at once, wait for each
    other, so the second sees the first and is refused as a likely duplicate. Always taken
    after the MRN lock (one order: no deadlock). No database constraint backs this rule."""
    if connection.vendor != "postgresql":
        return
    _xact_lock(f"{site_id}:person:{given_name.lower()}|{family_name.lower()}|{born.isoformat()}")


def _likely_duplicate(patient: Patient) -> Patient | None:
    """Another patient at the patient's site with the same given and family names (any letter
    case, ends trimmed) and date of birth: most likely the same person registered twice."""
    same = Patient.objects.filter(
        site_id=patient.site_id,
        given_name__iexact=patient.given_name,
        family_name__iexact=patient.family_name,
        date_of_birth=patient.date_of_birth,
    )
    if patient.pk is not None:
        same = same.exclude(pk=patient.pk)
    return same.order_by("id").first()


def _mrn_taken(patient: Patient) -> Conflict:
    return Conflict(
        f"MRN {patient.mrn} is already used by another patient at this site.",
        code=ERR_MRN_TAKEN,
    )


def _check_contact(patient: Patient) -> None:
    """The contact rules: phone numbers that read as phone numbers, a preferred contact the
    record can use, and a REMS patient id only for a patient recorded as enrolled."""
    for field in ("phone", "companion_phone"):
        problem = phone_problem(getattr(patient, field))
        if problem:
            raise InvalidInput(f"{field}: {problem}")
    for field in ("rems_patient_id", "companion_name"):
        problem = name_problem(getattr(patient, field))
        if problem:
            raise InvalidInput(f"{field}: {problem}")
    wanted = patient.preferred_contact
    if wanted in (PreferredContact.PHONE, PreferredContact.TEXT) and not patient.phone:
        raise InvalidInput(
            f"preferred_contact: {PreferredContact(wanted).label} needs the patient's phone "
            "number; add it or choose another way",
            code=ERR_CONTACT_MISSING,
        )
    if wanted == PreferredContact.EMAIL and not patient.email:
        raise InvalidInput(
            "preferred_contact: Email needs the patient's email address; add it or choose "
            "another way",
            code=ERR_CONTACT_MISSING,
        )
    # The id comes from the REMS enrolment form, so an id without the enrolment contradicts
    # itself. Enrolled without an id is allowed (records from before the field; the id not
    # yet copied from the form): the patient page says the id is missing.
    if patient.rems_patient_id and not patient.rems_enrolled:
        raise InvalidInput(
            "rems_patient_id: a REMS patient ID is given but the patient is not marked REMS "
            "enrolled; tick REMS enrolled or clear the ID",
            code=ERR_REMS_ID_WITHOUT_ENROLMENT,
        )


def _patient_save(patient: Patient, *, by: User | None, identity_changed: bool = True) -> Patient:
    """Validate and save; a duplicate MRN at the site is a 409 `mrn_taken`, the same names and
    date of birth as another patient of the site a 409 `likely_duplicate` (checked when
    `identity_changed`: a record that already shares them keeps its other edits)."""
    for field in TEXT_FIELDS:
        setattr(patient, field, getattr(patient, field).strip())
    # The site is a loaded row the caller may use; uniqueness is checked below, as a 409.
    patient.full_clean(exclude=["site"], validate_unique=False, validate_constraints=False)
    if patient.date_of_birth > timezone.localdate(clock.now()):
        raise InvalidInput("date_of_birth: cannot be in the future")
    _check_contact(patient)
    # Race: two requests registering `DUP-1` and `dup-1` at once both find no patient and both
    # insert. Lock the (site, lower-cased MRN) first, so the second waits and then sees the
    # first; the case-insensitive unique constraint is only the backstop.
    mrn_lock(site_id=patient.site_id, mrn=patient.mrn)
    taken = Patient.objects.filter(site_id=patient.site_id, mrn__iexact=patient.mrn)
    if patient.pk is not None:
        taken = taken.exclude(pk=patient.pk)
    if taken.exists():
        raise _mrn_taken(patient)
    if identity_changed:
        identity_lock(
            site_id=patient.site_id,
            given_name=patient.given_name,
            family_name=patient.family_name,
            born=patient.date_of_birth,
        )
        existing = _likely_duplicate(patient)
        if existing is not None:
            raise Conflict(
                f"{existing.full_name}, born {existing.date_of_birth:%d %b %Y}, is already "
                f"registered at this site (MRN {existing.mrn}): most likely the same person. "
                "Open that record instead of making a second one.",
                code=ERR_LIKELY_DUPLICATE,
                patient_id=existing.pk,
                mrn=existing.mrn,
            )
    try:
        # The savepoint keeps the outer transaction usable when the unique constraint fires
        # (two requests creating the same MRN at once; the check above cannot see the other).
        with transaction.atomic():
            save_with_history(patient, by)
    except IntegrityError as exc:
        raise _mrn_taken(patient) from exc
    return patient


def patient_create(
    *,
    site: Site,
    mrn: str,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    rems_enrolled: bool = False,
    rems_patient_id: str = "",
    preferred_contact: str = "",
    companion_name: str = "",
    companion_phone: str = "",
    by: User | None,
) -> Patient:
    """Register a patient at `site`. The MRN is unique per site (case-insensitively), and a
    second record of the same names and date of birth is refused (`likely_duplicate`)."""
    with transaction.atomic():
        patient = Patient(
            site=site,
            mrn=mrn,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=phone,
            email=email,
            address=address,
            rems_enrolled=rems_enrolled,
            rems_patient_id=rems_patient_id,
            preferred_contact=preferred_contact,
            companion_name=companion_name,
            companion_phone=companion_phone,
        )
        return _patient_save(patient, by=by)


def _same_identity(patient: Patient, changes: dict[str, object]) -> bool:
    for field in IDENTITY_FIELDS:
        if field not in changes:
            continue
        old, new = getattr(patient, field), changes[field]
        if isinstance(old, str) and isinstance(new, str):
            if old.strip().lower() != new.strip().lower():
                return False
        elif old != new:
            return False
    return True


def patient_update(*, patient: Patient, changes: dict[str, object], by: User | None) -> Patient:
    """Change some of a patient's fields (see PATIENT_FIELDS); the site never changes here.
    Changing the names or date of birth into another patient's of the site is refused, as at
    registration."""
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: cannot be changed", code=ERR_FIELD_READ_ONLY)
    if not changes:
        return patient
    with transaction.atomic():
        # Lock the row: two editors patching different fields must not lose each other's edit.
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        identity_changed = not _same_identity(locked, changes)
        for field, value in changes.items():
            setattr(locked, field, value)
        return _patient_save(locked, by=by, identity_changed=identity_changed)
