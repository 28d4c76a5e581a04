"""Read-side queries for protocols."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from clinic.errors import InvalidInput, NotFound
from clinic.models import Site
from protocols.engine import PlannedSession, PlanningError, plan_course
from protocols.models import Protocol
from protocols.services import protocol_spec_validate

UNPLANNABLE = "unplannable"
SITE_NOT_FOUND = "site_not_found"


def protocol_list(
    *,
    modality: str | None = None,
    status: str | None = None,
    slug: str | None = None,
    all_versions: bool = False,
) -> QuerySet[Protocol]:
    """Protocols filtered by modality/status, newest version first within each slug.

    Without `all_versions`, only the highest version per slug *among those matching the filters*
    (so `status=active` gives each slug's latest active version). `in_use` is
    Protocol.first_used_at, a column.
    """
    rows = Protocol.objects.all()
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


def protocol_preview(
    *, protocol: Protocol, site_id: int, start_date: dt.date, preferred_time: dt.time
) -> Preview:
    """Plan a course of `protocol` on the site's calendar without booking anything (the caller
    checks the user may see the site). 422 `unplannable` names the rule, day and phase."""
    site = Site.objects.prefetch_related("opening_hours", "closures").filter(pk=site_id).first()
    if site is None:
        raise NotFound("No such site.", code=SITE_NOT_FOUND)
    try:
        # Validated again, not just parsed: a stored spec is refused with the loader's errors.
        spec = protocol_spec_validate(spec=protocol.spec)
        planned = plan_course(spec, start_date, preferred_time, site.calendar(start_date))
    except PlanningError as exc:
        raise InvalidInput(
            exc.message, code=UNPLANNABLE, rule=exc.rule, day=exc.day.isoformat(), phase=exc.phase
        ) from None
    return Preview(protocol, site, planned)
