"""/api/v1/board: the day board of a site (or of one resource)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from clinic.api.schemas import ErrorOut
from clinic.models import ROLES
from clinic.permissions import acting_user, require_role
from scheduling.api.builders import board_out
from scheduling.api.schemas import BoardOut, BoardQuery
from scheduling.selectors import day_board as day_board_select

router = Router(tags=["board"])


@router.get(
    "",
    response={200: BoardOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="scheduling_api_read_day_board",
)
def day_board(request: HttpRequest, query: Query[BoardQuery]) -> dict[str, Any]:
    """The day board: every session starting on a local date at a site (or holding one
    resource), with patient, phase, status, local times and held resources. Not paginated: a
    day is bounded, and the board is read whole."""
    user = acting_user(request)
    require_role(user, *ROLES, action="see the schedule")
    board = day_board_select(
        user=user, site_id=query.site_id, day=query.date, resource_id=query.resource_id
    )
    return board_out(board)
