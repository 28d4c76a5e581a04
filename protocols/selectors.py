"""Read-side queries for protocols."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import OuterRef, Q, QuerySet, Subquery

from clinic.errors import InvalidInput
from protocols.engine import PlanningError
from protocols.error_codes import ERR_UNPLANNABLE
from protocols.models import Protocol
from protocols.services import protocol_scope


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


def unplannable(exc: PlanningError) -> InvalidInput:
    """The 422 for a course the engine cannot plan, the same from the preview and the booking."""
    return InvalidInput(
        exc.message, code=ERR_UNPLANNABLE, rule=exc.rule, day=exc.day.isoformat(), phase=exc.phase
    )


def protocols_bookable_at(*, site_id: int) -> QuerySet[Protocol]:
    """The protocols a course at `site_id` may be booked on: built-ins and the site's own."""
    return Protocol.objects.filter(Q(site__isnull=True) | Q(site_id=site_id))
