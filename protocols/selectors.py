"""Read-side queries for protocols."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from clinic.errors import InvalidInput
from protocols.engine import PlanningError
from protocols.models import Protocol

UNPLANNABLE = "unplannable"


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


def unplannable(exc: PlanningError) -> InvalidInput:
    """The 422 for a course the engine cannot plan, the same from the preview and the booking."""
    return InvalidInput(
        exc.message, code=UNPLANNABLE, rule=exc.rule, day=exc.day.isoformat(), phase=exc.phase
    )
