"""/api/v1/sessions: move a session through its day (check in, start, observe, complete),
cancel it, mark a no-show, or reschedule it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from clinic.api.schemas import ErrorOut
from clinic.permissions import acting_user
from scheduling.api.builders import change_out
from scheduling.api.schemas import (
    CancelIn,
    ChangeOut,
    NoShowIn,
    RescheduleIn,
    RestoreIn,
    SessionCheckInIn,
)
from scheduling.session_cancellation import session_cancel, session_no_show
from scheduling.session_lifecycle import (
    session_check_in,
    session_complete,
    session_observe,
    session_start,
)
from scheduling.session_reschedule import session_reschedule
from scheduling.session_restore import session_restore

router = Router(tags=["sessions"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post(
    "/{session_id}/reschedule",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_reschedule",
)
def reschedule(request: HttpRequest, session_id: int, payload: RescheduleIn) -> dict[str, Any]:
    """Move a session to `to`, or to the next valid day; later sessions are pushed when the
    protocol's spacing would break. `moved` lists every session whose time changed."""
    change = session_reschedule(
        session_id=session_id, to=payload.to, next_valid=payload.next_valid, by=acting_user(request)
    )
    return change_out(change)


@router.post(
    "/{session_id}/cancel",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_cancel",
)
def cancel(request: HttpRequest, session_id: int, payload: CancelIn) -> dict[str, Any]:
    """Cancel (reason required). `make_up` chooses whether a make-up session is added at the
    end (in `moved`); omitted, the protocol's rule decides (TMS: yes)."""
    change = session_cancel(
        session_id=session_id,
        reason=payload.reason,
        by=acting_user(request),
        make_up=payload.make_up,
    )
    return change_out(change)


@router.post(
    "/{session_id}/restore",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_restore",
)
def restore(
    request: HttpRequest, session_id: int, payload: RestoreIn | None = None
) -> dict[str, Any]:
    """Restore a cancelled session (still ahead, course running) at its own time when its
    holds are still free; else 409 `holds_taken` with `details.nearest`, which may be sent as
    `to`. A make-up added by the cancellation is cancelled (in `moved`). `dry_run`: preview."""
    body = payload or RestoreIn(to=None, dry_run=False)
    change = session_restore(
        session_id=session_id, by=acting_user(request), to=body.to, dry_run=body.dry_run
    )
    return change_out(change)


@router.post(
    "/{session_id}/no_show",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_no_show",
)
def no_show(
    request: HttpRequest, session_id: int, payload: NoShowIn | None = None
) -> dict[str, Any]:
    """Mark a no-show. TMS: a make-up session is added at the end (in `moved`)."""
    reason = payload.reason if payload is not None else ""
    change = session_no_show(session_id=session_id, reason=reason, by=acting_user(request))
    return change_out(change)


@router.post(
    "/{session_id}/check_in",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_check_in",
)
def check_in(
    request: HttpRequest, session_id: int, payload: SessionCheckInIn | None = None
) -> dict[str, Any]:
    """Check the patient in: from CHECK_IN_OPENS_MINUTES_BEFORE (120) minutes before the start,
    on the session's day, until its end; outside that 409 `outside_check_in_window`, unless a
    clinician sends `override_reason`."""
    reason = payload.override_reason if payload is not None else ""
    change = session_check_in(
        session_id=session_id, by=acting_user(request), override_reason=reason
    )
    return change_out(change)


@router.post(
    "/{session_id}/start", response={200: ChangeOut, **ERRORS}, operation_id="scheduling_api_start"
)
def start(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return change_out(session_start(session_id=session_id, by=acting_user(request)))


@router.post(
    "/{session_id}/observe",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_observe",
)
def observe(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """In progress -> observing (protocols with an observation period)."""
    return change_out(session_observe(session_id=session_id, by=acting_user(request)))


@router.post(
    "/{session_id}/complete",
    response={200: ChangeOut, **ERRORS},
    operation_id="scheduling_api_complete",
)
def complete(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return change_out(session_complete(session_id=session_id, by=acting_user(request)))
