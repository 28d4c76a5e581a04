"""/api/v1/sites: close a site for a day, re-planning the sessions it had."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from clinic.api.schemas import ErrorOut
from clinic.permissions import acting_user
from scheduling.api.builders import moved_out, saved_session_out
from scheduling.api.schemas import ClosureIn, ClosureOut
from scheduling.closures import site_close_day

router = Router(tags=["sites"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post(
    "/{site_id}/closures",
    response={200: ClosureOut, 201: ClosureOut, **ERRORS},
    operation_id="scheduling_api_close_day",
)
def close_day(request: HttpRequest, site_id: int, payload: ClosureIn) -> Status:
    """Close the site for a day (admin or scheduler). With `replan` the day's sessions move to
    their next valid day; `dry_run` lists the affected sessions and the moves without writing.
    A session that cannot move makes it a 409 `closure_unresolved` listing each, unless
    `leave_unresolved` leaves them booked on the day, flagged until moved or cancelled."""
    result = site_close_day(
        site=site_id,
        date=payload.date,
        reason=payload.reason,
        replan=payload.replan,
        dry_run=payload.dry_run,
        leave_unresolved=payload.leave_unresolved,
        by=acting_user(request),
    )
    body = {
        "site_id": result.site.pk,
        "date": result.date,
        "reason": result.reason,
        "created": result.created,
        "affected": [saved_session_out(s) for s in result.affected],
        "moved": moved_out(result.moved),
        "problems": result.problems,
        "unresolved": [
            {
                "id": u.session.pk,
                "number": u.session.number,
                "course_id": u.session.course_id,
                "start": u.session.start,
                "reason": u.reason,
            }
            for u in result.unresolved
        ],
    }
    return Status(201 if result.created else 200, body)
