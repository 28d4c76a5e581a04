"""/api/v1/availability: free slots per resource of a kind at a site."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from clinic.api.schemas import ErrorOut
from clinic.models import ROLES
from clinic.permissions import acting_user, require_role
from scheduling.api.builders import availability_out
from scheduling.api.schemas import AvailabilityOut, AvailabilityQuery
from scheduling.selectors import availability

router = Router(tags=["availability"])


@router.get(
    "",
    response={200: AvailabilityOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="scheduling_api_read_get_availability",
)
def get_availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> dict[str, Any]:
    """Free slots of `minutes` per active resource of `kind`, local dates `start`..`end`
    (at most 31 days), inside opening hours, off closures and holidays, from now on."""
    user = acting_user(request)
    require_role(user, *ROLES, action="see the schedule")
    result = availability(
        user=user,
        site_id=query.site_id,
        kind=query.kind,
        first=query.start,
        last=query.end,
        minutes=query.minutes,
        step_minutes=query.step,
    )
    return availability_out(result)
