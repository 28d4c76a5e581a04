"""Calendar feed tokens: create, rotate, revoke, and the patient's own changes from their page.

A token is 256 random bits (`secrets.token_urlsafe(32)` behind an `icf_` prefix), means nothing,
is returned once by the call that makes it, and is stored only as an HMAC (clinic/tokens.py), like
API tokens. Rotating gives the same feed (kind, owner, reminder) a new token and kills the old
one; revoking kills it for good. Who may manage which feed (`feed_manageable`):

* patient and companion feeds: a scheduler or clinician (or admin) of the patient's site; the
  patient manages their own companion feeds from their page (`companion_feed_create/_revoke`);
* staff feeds: the staff member themselves (an admin may manage any staff feed of their sites);
* room and site feeds: any staff role of that site.

Another site's feed, patient or room is a 404, never a 403, as everywhere in the API.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from clinic.clock import wall_now  # credential stamps: real time, not the pinned clinic day
from clinic.error_codes import ERR_INVALID
from clinic.errors import Conflict, InvalidInput, NotFound
from clinic.models import (
    ROLE_ADMIN,
    ROLE_CLINICIAN,
    ROLE_NURSE,
    ROLE_SCHEDULER,
    Patient,
    Resource,
    Site,
)
from clinic.permissions import require_role, require_site, user_roles, user_site_ids
from clinic.tokens import hash_token, new_token
from scheduling.error_codes import (
    ERR_FEED_EXISTS,
    ERR_FEED_NOT_FOUND,
    ERR_FEED_REVOKED,
    ERR_INVALID_FEED_OWNER,
    ERR_STAFF_NOT_FOUND,
    ERR_TOO_MANY_COMPANION_FEEDS,
)
from scheduling.models import CalendarFeed

Kind = CalendarFeed.Kind

TOKEN_PREFIX = "icf"
# new_token(): the prefix, "_", then 43 URL-safe base64 characters (32 random bytes).
TOKEN_RE = re.compile(r"^icf_[A-Za-z0-9_-]{43}$")
MAX_COMPANION_FEEDS = 3
MAX_ALARM_MINUTES = 10080


PATIENT_FEED_ROLES = (ROLE_SCHEDULER, ROLE_CLINICIAN)
STAFF_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)


def token_well_formed(token: str) -> bool:
    """A cheap shape check before hashing: a malformed token is a 404 like an unknown one."""
    return bool(TOKEN_RE.match(token))


def _issue() -> tuple[str, str]:
    token = new_token(TOKEN_PREFIX)
    return token, hash_token(token)


def feed_manageable(*, feed: CalendarFeed, by: User) -> bool:
    """Whether `by` may see and manage `feed` (list, rotate, revoke)."""
    roles = user_roles(by)
    sites = user_site_ids(by)
    if not roles or (sites is not None and feed.site_id not in sites):
        return False
    if ROLE_ADMIN in roles:
        return True
    if feed.kind in (Kind.PATIENT, Kind.COMPANION):
        return bool(roles.intersection(PATIENT_FEED_ROLES))
    if feed.kind == Kind.STAFF:
        return feed.user_id == by.pk
    return bool(roles.intersection(STAFF_ROLES))


def _check_alarm(alarm_minutes: int | None) -> None:
    if alarm_minutes is not None and not 0 <= alarm_minutes <= MAX_ALARM_MINUTES:
        raise InvalidInput(
            f"alarm_minutes: must be between 0 (no reminder) and {MAX_ALARM_MINUTES} (a week).",
            code=ERR_INVALID,
        )


def _save_new(feed: CalendarFeed) -> tuple[CalendarFeed, str]:
    token, digest = _issue()
    feed.token_hash = digest
    feed.prefix = token[:8]
    try:
        with transaction.atomic():
            feed.save()
    except IntegrityError:
        # The partial unique constraints: two requests creating the same owner's feed at once.
        raise Conflict(
            "This owner already has an active feed of this kind; rotate it instead.",
            code=ERR_FEED_EXISTS,
        ) from None
    return feed, token


@transaction.atomic
def feed_create(
    *,
    kind: str,
    by: User,
    site: Site | None = None,
    patient: Patient | None = None,
    resource: Resource | None = None,
    staff: User | None = None,
    label: str = "",
    alarm_minutes: int | None = None,
) -> tuple[CalendarFeed, str]:
    """Create a feed and return it with its token (the only time the token is available).

    `kind` patient/companion needs `patient`; staff makes the acting user's own feed at `site`
    (an admin may pass `staff`); resource needs `resource`; site needs `site`.
    """
    _check_alarm(alarm_minutes)
    feed = CalendarFeed(kind=kind, label=label, alarm_minutes=alarm_minutes, created_by=by)
    if kind in (Kind.PATIENT, Kind.COMPANION):
        _own_by_patient(feed, kind=kind, patient=patient, by=by)
    elif kind == Kind.STAFF:
        _own_by_staff(feed, site=site, staff=staff, by=by)
    elif kind == Kind.RESOURCE:
        if resource is None:
            raise InvalidInput("A room feed needs a resource.", code=ERR_INVALID_FEED_OWNER)
        require_site(by, resource.site_id)
        require_role(by, *STAFF_ROLES, action="make room calendar feeds")
        feed.resource, feed.site = resource, resource.site
    elif kind == Kind.SITE:
        if site is None:
            raise InvalidInput("A site feed needs a site.", code=ERR_INVALID_FEED_OWNER)
        require_site(by, site.pk)
        require_role(by, *STAFF_ROLES, action="make site calendar feeds")
        feed.site = site
    else:
        raise InvalidInput(f"Unknown feed kind {kind!r}.", code=ERR_INVALID_FEED_OWNER)
    return _save_new(feed)


def _own_by_patient(feed: CalendarFeed, *, kind: str, patient: Patient | None, by: User) -> None:
    if patient is None:
        raise InvalidInput("A patient feed needs a patient.", code=ERR_INVALID_FEED_OWNER)
    require_site(by, patient.site_id)
    require_role(by, *PATIENT_FEED_ROLES, action="manage patients' calendar feeds")
    feed.patient, feed.site = patient, patient.site
    if (
        kind == Kind.PATIENT
        and CalendarFeed.objects.filter(
            patient=patient, kind=Kind.PATIENT, revoked_at__isnull=True
        ).exists()
    ):
        raise Conflict(
            "This patient already has an active feed; rotate it to get a new link.",
            code=ERR_FEED_EXISTS,
        )
    if kind == Kind.COMPANION:
        _check_companion_room(patient)


def _own_by_staff(feed: CalendarFeed, *, site: Site | None, staff: User | None, by: User) -> None:
    owner = staff or by
    if site is None:
        raise InvalidInput("A staff feed needs a site.", code=ERR_INVALID_FEED_OWNER)
    require_site(by, site.pk)
    require_role(by, *STAFF_ROLES, action="have a calendar feed")
    if owner.pk != by.pk:
        require_role(by, ROLE_ADMIN, action="make another person's calendar feed")
        if not owner.is_active or not owner.sites.filter(pk=site.pk).exists():
            raise NotFound("No such staff member at this site.", code=ERR_STAFF_NOT_FOUND)
    feed.user, feed.site = owner, site
    if CalendarFeed.objects.filter(
        user=owner, site=site, kind=Kind.STAFF, revoked_at__isnull=True
    ).exists():
        raise Conflict(
            "You already have an active feed for this site; rotate it to get a new link.",
            code=ERR_FEED_EXISTS,
        )


def _check_companion_room(patient: Patient) -> None:
    active = CalendarFeed.objects.filter(
        patient=patient, kind=Kind.COMPANION, revoked_at__isnull=True
    ).count()
    if active >= MAX_COMPANION_FEEDS:
        raise Conflict(
            f"At most {MAX_COMPANION_FEEDS} companion feeds; revoke one first.",
            code=ERR_TOO_MANY_COMPANION_FEEDS,
        )


def feed_get(*, feed_id: int, by: User) -> CalendarFeed:
    """A feed `by` may manage, or NotFound (also for feeds they may not manage)."""
    feed = CalendarFeed.objects.select_related("site").filter(pk=feed_id).first()
    if feed is None or not feed_manageable(feed=feed, by=by):
        raise NotFound("No such calendar feed.", code=ERR_FEED_NOT_FOUND)
    return feed


@transaction.atomic
def feed_revoke(*, feed_id: int, by: User) -> CalendarFeed:
    """Revoke a feed: its link answers 404 from now on. Revoking twice changes nothing."""
    feed = feed_get(feed_id=feed_id, by=by)
    if feed.revoked_at is None:
        feed.revoked_at = wall_now()
        feed.save(update_fields=["revoked_at", "updated_at"])
    return feed


@transaction.atomic
def feed_rotate(*, feed_id: int, by: User) -> tuple[CalendarFeed, str]:
    """Give a feed a new token (returned once); the old link answers 404 from now on."""
    feed = feed_get(feed_id=feed_id, by=by)
    return _rotate(feed)


def _rotate(feed: CalendarFeed) -> tuple[CalendarFeed, str]:
    if feed.revoked_at is not None:
        raise Conflict("A revoked feed cannot be rotated; create a new one.", code=ERR_FEED_REVOKED)
    token, digest = _issue()
    feed.token_hash, feed.prefix, feed.rotated_at = digest, token[:8], wall_now()
    feed.save(update_fields=["token_hash", "prefix", "rotated_at", "updated_at"])
    return feed, token


@transaction.atomic
def patient_feed_issue(*, patient: Patient, by: User | None) -> tuple[CalendarFeed, str]:
    """The patient's link: rotate their active patient feed, or create one. For the demo and
    for front-desk use ("send me my link again"): the old link stops working."""
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(patient=patient, kind=Kind.PATIENT, revoked_at__isnull=True)
        .first()
    )
    if feed is not None:
        return _rotate(feed)
    return _save_new(
        CalendarFeed(kind=Kind.PATIENT, patient=patient, site=patient.site, created_by=by)
    )


# --- the patient's own changes, from their page (the patient feed's token is the authority) ---


@transaction.atomic
def companion_feed_create(*, patient_feed: CalendarFeed, label: str) -> tuple[CalendarFeed, str]:
    """A companion (driver) feed for the patient who owns `patient_feed`."""
    label = label.strip()
    if len(label) > 100 or "\x00" in label:
        raise InvalidInput("The name may be at most 100 characters.", code=ERR_INVALID)
    patient = patient_feed.patient
    assert patient is not None
    _check_companion_room(patient)
    return _save_new(
        CalendarFeed(
            kind=Kind.COMPANION,
            patient=patient,
            site=patient_feed.site,
            label=label,
            created_by=None,
        )
    )


@transaction.atomic
def companion_feed_revoke(*, patient_feed: CalendarFeed, feed_id: int) -> CalendarFeed:
    """Revoke one of the patient's own companion feeds (another patient's is NotFound)."""
    assert patient_feed.patient_id is not None
    feed = CalendarFeed.objects.filter(
        pk=feed_id, kind=Kind.COMPANION, patient_id=patient_feed.patient_id
    ).first()
    if feed is None:
        raise NotFound("No such companion feed.", code=ERR_FEED_NOT_FOUND)
    if feed.revoked_at is None:
        feed.revoked_at = wall_now()
        feed.save(update_fields=["revoked_at", "updated_at"])
    return feed


@transaction.atomic
def patient_feed_set_alarm(*, patient_feed: CalendarFeed, alarm_minutes: int | None) -> None:
    """The patient's reminder choice (None: the site's default; 0: no reminder)."""
    _check_alarm(alarm_minutes)
    patient_feed.alarm_minutes = alarm_minutes
    patient_feed.save(update_fields=["alarm_minutes", "updated_at"])
