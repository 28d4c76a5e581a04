"""POST /api/v1/protocols/{slug}/preview: a course as booking would place it, writing nothing.

Scheduling's, not protocols': the preview places with the booking's own placer
(`scheduling/enrolment.py` `course_preview`), so the two never disagree (a time already past
today, a full chair). Mounted under /protocols with the protocols tag; its operation id is
pinned, so the OpenAPI document names it as before.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from clinic.api.schemas import ErrorOut
from clinic.permissions import acting_user, require_role, require_site
from protocols.api.schemas import PlannedSessionOut, PreviewIn, PreviewOut, SlugPath
from protocols.services import protocol_get
from scheduling.enrolment import PREVIEW_ROLES, CoursePreview, course_preview

router = Router(tags=["protocols"])


@router.post(
    "/{slug}/preview",
    response={200: PreviewOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="protocols_api_preview_course",
)
def preview_course(request: HttpRequest, slug: SlugPath, payload: PreviewIn) -> Any:
    """Place a course on a site's calendar and resources as booking would today, and return
    the sessions, writing nothing (409 `unplaceable` when booking would refuse it too)."""
    by = acting_user(request)
    require_role(by, *PREVIEW_ROLES, action="see protocols")
    protocol = protocol_get(slug=slug, version=payload.version, user=by)
    require_site(by, payload.site_id)
    preview = course_preview(
        protocol=protocol,
        site_id=payload.site_id,
        start_date=payload.start_date,
        preferred_time=payload.preferred_time,
        by=by,
    )
    return PreviewOut(
        slug=protocol.slug,
        version=protocol.version,
        site_id=preview.site.pk,
        timezone=preview.site.timezone,
        start_date=payload.start_date,
        preferred_time=payload.preferred_time,
        total_sessions=len(preview.placements),
        sessions=_sessions_out(preview),
        adjustments=list(preview.adjustments),  # type: ignore[arg-type]
    )


def _sessions_out(preview: CoursePreview) -> list[PlannedSessionOut]:
    zone = preview.site.zone
    in_phase: dict[int, int] = {}
    out = []
    for p in preview.placements:
        in_phase[p.phase_index] = in_phase.get(p.phase_index, 0) + 1
        out.append(
            PlannedSessionOut(
                phase=p.phase,
                phase_index=p.phase_index,
                number=p.number,
                number_in_phase=in_phase[p.phase_index],
                date=p.day,
                start_local=p.start.astimezone(zone),
                end_local=p.end.astimezone(zone),
                observation_end_local=p.observation_end.astimezone(zone),
                start_utc=p.start,
                end_utc=p.end,
                observation_end_utc=p.observation_end,
                scales_due=list(p.scales_due),
            )
        )
    return out
