"""Protocol versions: create, update, activate, retire. The only code that writes Protocol rows.

Versioning rules (docs/protocol-spec.md, "Versions"):
  * a protocol is a slug; each row is one version of it, numbered 1, 2, 3 ... per slug;
  * a version that any course uses is immutable: changing its spec makes the next version;
  * a version no course uses may be edited in place (drafts while they are being written);
  * the slug's modality never changes between versions (courses and resources depend on it).

`by=None` means the system itself (the `load_protocols` command); every request path passes the
acting user, who must be an admin or a clinician to create, change or retire a version.

Ownership (`protocol_editor_require`): a slug belongs to one site (`Protocol.site`, the same on
every version) or to none: the built-ins from protocols/library, read-only to all but
superusers. A clinician publishes, retires and activates only their own sites' protocols;
another site's slug is "not found" (or, when publishing it, "taken").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q

from clinic.clock import resolve_now
from clinic.errors import Conflict, Forbidden, InvalidInput, NotFound
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role, require_site, user_site_ids
from protocols.error_codes import (
    ERR_INVALID_SPEC,
    ERR_INVALID_STATUS,
    ERR_MODALITY_CHANGED,
    ERR_PROTOCOL_BUILTIN,
    ERR_PROTOCOL_NOT_FOUND,
    ERR_PROTOCOL_SLUG_TAKEN,
    ERR_PROTOCOL_VERSION_CONFLICT,
    ERR_SITE_REQUIRED,
)
from protocols.models import Protocol
from protocols.spec import ProtocolSpec, SpecError, parse_spec
from protocols.spec_checks import spec_problems

_STATUSES = {s.value for s in Protocol.Status}


def protocol_spec_validate(*, spec: Any, slug: str | None = None) -> ProtocolSpec:
    """Parse a raw spec or raise InvalidInput("invalid_spec") naming each problem by path,
    e.g. ``phases[1].sessions_per_day: must be at least 1``. With `slug`, also check that the
    spec keeps the modality of the slug's existing versions ("modality_changed"). The checks
    other apps registered (protocols/spec_checks.py) run too, each with its own code."""
    try:
        parsed = parse_spec(spec)
    except SpecError as exc:
        raise InvalidInput(str(exc), code=ERR_INVALID_SPEC, problems=exc.problems) from None
    problems = spec_problems(parsed)
    if problems:
        raise InvalidInput(
            "; ".join(p.message for p in problems),
            code=problems[0].code,
            problems=[p.message for p in problems],
        )
    if slug is not None:
        existing = (
            Protocol.objects.filter(slug=slug)
            .order_by("-version")
            .values_list("modality", flat=True)
        ).first()
        if existing is not None:
            _check_modality(slug, existing, parsed)
    return parsed


def _check_modality(slug: str, existing: str, parsed: ProtocolSpec) -> None:
    if existing != parsed.modality.value:
        raise InvalidInput(
            f"spec.modality: {slug!r} is a {existing} protocol; a version cannot change it to "
            f"{parsed.modality.value} (use a new slug)",
            code=ERR_MODALITY_CHANGED,
        )


def protocol_scope(*, user: User | None) -> Q:
    """The protocols `user` may read and book: the built-ins (no site) and their sites' own.
    None (the system) and superusers read every one."""
    allowed = None if user is None else user_site_ids(user)
    if allowed is None:
        return Q()
    return Q(site__isnull=True) | Q(site_id__in=allowed)


def protocol_editor_require(*, by: User | None, site_id: int | None, action: str) -> None:
    """The one rule for changing a protocol owned by `site_id` (None: a built-in).

    `by=None` is the built-in loader (a management command), not a person. A person needs the
    clinician role (admins too); a built-in is read-only to all but superusers (403
    `protocol_builtin`: a site cannot retire or re-version what every site books); a site's
    protocol is changed only by its own staff (another site's is 404 `protocol_not_found`, as
    it is not even listed to them)."""
    if by is None:
        return
    require_role(by, ROLE_CLINICIAN, action=action)
    if site_id is None:
        if not by.is_superuser:
            raise Forbidden(
                f"Built-in protocols are read-only: a site may not {action} (publish the "
                "site's own protocol under a new slug instead).",
                code=ERR_PROTOCOL_BUILTIN,
            )
        return
    allowed = user_site_ids(by)
    if allowed is not None and site_id not in allowed:
        raise NotFound("No such protocol.", code=ERR_PROTOCOL_NOT_FOUND)


def _new_slug_site(by: User | None, site_id: int | None) -> int | None:
    """The site a new slug belongs to: the one asked for (a site of the user's), else the
    user's only site. The loader and superusers may publish for every site (None)."""
    if by is None or (by.is_superuser and site_id is None):
        return site_id
    if site_id is not None:
        require_site(by, site_id)
        return site_id
    allowed = sorted(user_site_ids(by) or ())
    if not allowed:
        raise Forbidden(
            "A clinician with no site cannot publish protocols: ask an admin to add you to one.",
            code=ERR_SITE_REQUIRED,
        )
    if len(allowed) > 1:
        raise InvalidInput(
            "site_id: you work at several sites; name the one this protocol belongs to.",
            code=ERR_SITE_REQUIRED,
        )
    return allowed[0]


def _check_status(status: str) -> None:
    if status not in _STATUSES:
        raise InvalidInput(
            f"status: must be one of {', '.join(sorted(_STATUSES))}", code=ERR_INVALID_STATUS
        )


def protocol_create_version(
    *,
    slug: str,
    name: str,
    indication: str,
    spec: Any,
    status: str = Protocol.Status.DRAFT,
    by: User | None,
    builtin: bool = False,
    version: int | None = None,
    site_id: int | None = None,
    now: dt.datetime | None = None,
) -> Protocol:
    """Create the next version of `slug` (version 1 for a new slug) and return it.

    The spec is validated first (InvalidInput "invalid_spec"); the modality comes from the spec
    and must match earlier versions (InvalidInput "modality_changed"). `version` may ask for a
    higher number than max+1 (the library loader keeps library revision numbers), never a lower.
    A new slug belongs to `site_id` (default: the user's only site); a next version keeps the
    slug's site (`protocol_editor_require`: another site's slug is 409 `protocol_slug_taken`).
    """
    if by is not None:
        require_role(by, ROLE_CLINICIAN, action="create protocol versions")
    _check_status(status)
    parsed = protocol_spec_validate(spec=spec)
    now = resolve_now(now)
    try:
        with transaction.atomic():
            # Race: two editors saving a new version of the same slug at once would both read
            # the same max(version) and both write max+1. So first lock the slug's rows (every
            # writer waits on the oldest one), and only then read the latest version in a new
            # statement: under READ COMMITTED a blocked SELECT ... FOR UPDATE returns its old
            # snapshot, which misses the version the lock holder just inserted. A brand-new slug
            # has no rows to lock; there the unique (slug, version) constraint is the backstop
            # and the loser gets a 409 (below).
            list(Protocol.objects.select_for_update().filter(slug=slug).values_list("pk"))
            latest = (
                Protocol.objects.filter(slug=slug)
                .order_by("-version")
                .values_list("version", "modality", "site_id")
                .first()
            )
            latest_version = latest[0] if latest else 0
            owner = protocol_publish_site(by=by, slug=slug, site_id=site_id)
            if latest:
                _check_modality(slug, latest[1], parsed)
            number = max(latest_version + 1, version or 0)
            return Protocol.objects.create(
                slug=slug,
                version=number,
                modality=parsed.modality.value,
                name=name,
                indication=indication,
                spec=spec,
                status=status,
                builtin=builtin,
                site_id=owner,
                created_by=by,
                retired_at=now if status == Protocol.Status.RETIRED else None,
            )
    except IntegrityError:
        raise Conflict(
            f"Another version of {slug!r} was saved at the same moment; try again.",
            code=ERR_PROTOCOL_VERSION_CONFLICT,
        ) from None


def protocol_publish_site(*, by: User | None, slug: str, site_id: int | None) -> int | None:
    """The site a new version of `slug` published by `by` belongs to, or the refusal
    (`protocol_editor_require`): a next version keeps its slug's site; a new slug goes to
    `site_id` or the user's only site."""
    latest = Protocol.objects.filter(slug=slug).order_by("-version").first()
    if latest is not None:
        return _existing_slug_site(by, slug, latest.site_id, site_id)
    return _new_slug_site(by, site_id)


def _existing_slug_site(
    by: User | None, slug: str, owner: int | None, asked: int | None
) -> int | None:
    """A next version keeps its slug's site; the user must be allowed to change it."""
    if (
        by is not None
        and owner is not None
        and not Protocol.objects.filter(protocol_scope(user=by), slug=slug).exists()
    ):
        raise Conflict(
            f"The slug {slug!r} is another site's protocol; choose another slug.",
            code=ERR_PROTOCOL_SLUG_TAKEN,
        )
    protocol_editor_require(by=by, site_id=owner, action="publish new versions of it")
    if asked is not None and asked != owner:
        raise InvalidInput(
            f"site_id: {slug!r} belongs to another site; a version keeps its slug's site.",
            code=ERR_SITE_REQUIRED,
        )
    return owner


def protocol_get(*, slug: str, version: int | None = None, user: User | None = None) -> Protocol:
    """A given version of `slug`, or its latest active version (NotFound otherwise). With
    `user`, only among the protocols they may read (`protocol_scope`)."""
    rows = Protocol.objects.filter(protocol_scope(user=user), slug=slug)
    if version is not None:
        found = rows.filter(version=version).first()
        if found is None:
            raise NotFound(
                f"Protocol {slug!r} has no version {version}.", code=ERR_PROTOCOL_NOT_FOUND
            )
        return found
    found = rows.filter(status=Protocol.Status.ACTIVE).order_by("-version").first()
    if found is None:
        what = "no active version" if rows.exists() else "does not exist"
        raise NotFound(f"Protocol {slug!r} {what}.", code=ERR_PROTOCOL_NOT_FOUND)
    return found


def protocol_activate(*, protocol: Protocol, by: User) -> Protocol:
    """Make a draft (or retired) version active: courses may be enrolled on it."""
    protocol_editor_require(by=by, site_id=protocol.site_id, action="activate protocol versions")
    with transaction.atomic():
        row = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if row.status != Protocol.Status.ACTIVE:
            row.status = Protocol.Status.ACTIVE
            row.retired_at = None
            row.save(update_fields=["status", "retired_at"])
        return row


def protocol_retire(*, protocol: Protocol, by: User, now: dt.datetime | None = None) -> Protocol:
    """Retire a version: no new courses on it; courses already on it carry on unchanged."""
    protocol_editor_require(by=by, site_id=protocol.site_id, action="retire protocol versions")
    now = resolve_now(now)
    with transaction.atomic():
        row = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if row.status != Protocol.Status.RETIRED:
            row.status = Protocol.Status.RETIRED
            row.retired_at = now
            row.save(update_fields=["status", "retired_at"])
        return row


def protocol_retire_slug(*, slug: str, by: User, now: dt.datetime | None = None) -> list[Protocol]:
    """Retire every version of `slug` that is not retired yet; returns the versions retired."""
    found = Protocol.objects.filter(protocol_scope(user=by), slug=slug).first()
    if found is None:
        raise NotFound(f"Protocol {slug!r} does not exist.", code=ERR_PROTOCOL_NOT_FOUND)
    protocol_editor_require(by=by, site_id=found.site_id, action="retire protocol versions")
    now = resolve_now(now)
    with transaction.atomic():
        rows = list(
            Protocol.objects.select_for_update()
            .filter(slug=slug)
            .exclude(status=Protocol.Status.RETIRED)
            .order_by("version")
        )
        for row in rows:
            row.status = Protocol.Status.RETIRED
            row.retired_at = now
            row.save(update_fields=["status", "retired_at"])
        return rows


def protocol_update(
    *,
    protocol: Protocol,
    by: User | None,
    name: str | None = None,
    indication: str | None = None,
    spec: Any = None,
    status: str | None = None,
    now: dt.datetime | None = None,
) -> Protocol:
    """Change a version; returns the row that now holds the change.

    A version some course uses is immutable: a new spec (or name/indication) becomes the next
    version, which is returned, and the used version is left exactly as it was. A version no
    course uses is edited in place. `status` alone (activate/retire) never makes a new version.
    """
    protocol_editor_require(by=by, site_id=protocol.site_id, action="change protocols")
    if status is not None:
        _check_status(status)
    if spec is not None:
        protocol_spec_validate(spec=spec)
    now = resolve_now(now)
    with transaction.atomic():
        row = Protocol.objects.select_for_update().get(pk=protocol.pk)
        changes = {
            field: value
            for field, value in (("name", name), ("indication", indication), ("spec", spec))
            if value is not None and value != getattr(row, field)
        }
        if changes and row.in_use:
            return protocol_create_version(
                slug=row.slug,
                name=changes.get("name", row.name),
                indication=changes.get("indication", row.indication),
                spec=changes.get("spec", row.spec),
                status=status or row.status,
                by=by,
                # A person's change is the clinic's own version, which load_protocols must not
                # overwrite with the library's; only the loader itself (by=None) makes built-ins.
                builtin=row.builtin and by is None,
                site_id=row.site_id,
                now=now,
            )
        if "spec" in changes:
            _check_modality(row.slug, row.modality, protocol_spec_validate(spec=spec))
        for field, value in changes.items():
            setattr(row, field, value)
        fields = list(changes)
        if changes and row.builtin and by is not None:
            row.builtin = False
            fields.append("builtin")
        if status is not None and status != row.status:
            row.status = status
            row.retired_at = now if status == Protocol.Status.RETIRED else None
            fields += ["status", "retired_at"]
        if fields:
            row.save(update_fields=fields)
        return row


def protocol_mark_used(*, protocol: Protocol, now: dt.datetime) -> None:
    """Record that a course uses this version (the booking service calls it in its transaction).

    The conditional UPDATE also takes the row lock that `protocol_update` takes, so an edit in
    place and the first enrolment on a version cannot interleave.
    """
    Protocol.objects.filter(pk=protocol.pk, first_used_at__isnull=True).update(first_used_at=now)
    if protocol.first_used_at is None:
        protocol.first_used_at = now
