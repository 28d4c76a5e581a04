"""Read-side queries for protocols."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import OuterRef, Q, QuerySet, Subquery

from clinic.clock import resolve_now
from clinic.errors import InvalidInput, NotFound
from clinic.models import Site
from protocols.adjustments import Adjustment, adjustments
from protocols.engine import PlannedSession, PlanningError, plan_course
from protocols.models import Protocol
from protocols.services import protocol_scope, protocol_spec_validate

UNPLANNABLE = "unplannable"
SITE_NOT_FOUND = "site_not_found"
NOT_HERE = "protocol_not_found"


def protocol_list(
    *,
    user: User | None,
    modality: str | None = None,
    status: str | None = None,
    slug: str | None = None,
    all_versions: bool = False,
) -> QuerySet[Protocol]:
    """Protocols `user` may read (built-ins and their sites' own: `protocol_scope`), filtered
    by modality/status, newest version first within each slug.

    Without `all_versions`, only the highest version per slug *among those matching the filters*
    (so `status=active` gives each slug's latest active version). `in_use` is
    Protocol.first_used_at, a column.
    """
    rows = Protocol.objects.filter(protocol_scope(user=user))
    if modality:
        rows = rows.filter(modality=modality)
    if status:
        rows = rows.filter(status=status)
    if slug:
        rows = rows.filter(slug=slug)
    if not all_versions:
        latest = rows.filter(slug=OuterRef("slug")).order_by("-version").values("version")[:1]
        rows = rows.filter(version=Subquery(latest))
    return rows.order_by("slug", "-version")


@dataclass(frozen=True)
class Preview:
    protocol: Protocol
    site: Site
    sessions: list[PlannedSession]
    adjustments: list[Adjustment]


def unplannable(exc: PlanningError) -> InvalidInput:
    """The 422 for a course the engine cannot plan, the same from the preview and the booking."""
    return InvalidInput(
        exc.message, code=UNPLANNABLE, rule=exc.rule, day=exc.day.isoformat(), phase=exc.phase
    )


def protocols_bookable_at(*, site_id: int) -> QuerySet[Protocol]:
    """The protocols a course at `site_id` may be booked on: built-ins and the site's own."""
    return Protocol.objects.filter(Q(site__isnull=True) | Q(site_id=site_id))


def protocol_preview(
    *,
    protocol: Protocol,
    site_id: int,
    start_date: dt.date,
    preferred_time: dt.time,
    now: dt.datetime | None = None,
) -> Preview:
    """Plan a course of `protocol` on the site's calendar without booking anything (the caller
    checks the user may see the site). 422 `start_in_past` for a start before the site's today,
    as booking says; 422 `unplannable` names the rule, day and phase. `adjustments` lists a
    first session planned away from the asked day or time (a holiday, a closed day)."""
    site = Site.objects.prefetch_related("opening_hours", "closures").filter(pk=site_id).first()
    if site is None:
        raise NotFound("No such site.", code=SITE_NOT_FOUND)
    if protocol.site_id not in (None, site.pk):
        raise NotFound(f"Protocol {protocol.slug!r} is not booked at this site.", code=NOT_HERE)
    if start_date < resolve_now(now).astimezone(site.zone).date():
        raise InvalidInput(f"The start date {start_date} is in the past.", code="start_in_past")
    skips: dict[dt.date, str] = {}
    try:
        # Validated again, not just parsed: a stored spec is refused with the loader's errors.
        spec = protocol_spec_validate(spec=protocol.spec)
        planned = plan_course(
            spec, start_date, preferred_time, site.calendar(start_date), skips=skips
        )
    except PlanningError as exc:
        raise unplannable(exc) from None
    changes = adjustments(
        start=start_date,
        preferred=preferred_time,
        planned=planned,
        skips=skips,
        placed=[(p.number, p.start_local) for p in planned],
    )
    return Preview(protocol, site, planned, changes)
