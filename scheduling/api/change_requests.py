"""/api/v1/change-requests: patients' "ask to change this appointment" requests (made on
their page, `/p/<token>/`) at the caller's sites, and staff's answer (handled or declined with
a note). A request never moves a session: staff reschedule or cancel through /sessions/."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from clinic.api.fields import Id, InSchema, QueryIn
from clinic.api.schemas import ErrorOut
from clinic.permissions import acting_user
from scheduling.change_requests import (
    change_request_for_reader,
    change_request_handle,
    change_request_queue,
)
from scheduling.models import ChangeRequest

router = Router(tags=["change requests"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ChangeRequestOut(Schema):
    id: int
    status: str
    session_id: int
    session_start: dt.datetime
    session_status: str
    patient_id: int
    patient_name: str
    patient_mrn: str
    site_id: int
    reason: str
    preferred_days: str
    created_at: dt.datetime
    handled_by: str | None
    handled_at: dt.datetime | None
    staff_note: str


class ChangeRequestFilter(QueryIn):
    status: Literal["open", "handled", "declined", "all"] = "open"
    site_id: Id | None = None


class ChangeRequestHandleIn(InSchema):
    outcome: Literal["handled", "declined"]
    note: str = Field("", max_length=500)


def change_request_out(found: ChangeRequest) -> dict[str, Any]:
    patient = found.patient
    return {
        "id": found.pk,
        "status": found.status,
        "session_id": found.session_id,
        "session_start": found.session.start,
        "session_status": found.session.status,
        "patient_id": patient.pk,
        "patient_name": f"{patient.given_name} {patient.family_name}",
        "patient_mrn": patient.mrn,
        "site_id": found.site_id,
        "reason": found.reason,
        "preferred_days": found.preferred_days,
        "created_at": found.created_at,
        "handled_by": found.handled_by.get_username() if found.handled_by else None,
        "handled_at": found.handled_at,
        "staff_note": found.staff_note,
    }


@router.get(
    "", response={200: list[ChangeRequestOut], **ERRORS}, operation_id="change_requests_list"
)
def list_change_requests(
    request: HttpRequest, filters: Query[ChangeRequestFilter]
) -> list[dict[str, Any]]:
    """Requests at the caller's sites, open ones by default, oldest first (any staff role)."""
    rows = change_request_queue(
        user=acting_user(request), status=filters.status, site_id=filters.site_id
    )
    return [change_request_out(r) for r in rows]


@router.post(
    "/{change_request_id}/handle",
    response={200: ChangeRequestOut, **ERRORS},
    operation_id="change_requests_handle",
)
def handle_change_request(
    request: HttpRequest, change_request_id: int, payload: ChangeRequestHandleIn
) -> dict[str, Any]:
    """Mark an open request handled or declined, with a note (schedulers and clinicians)."""
    user = acting_user(request)
    change_request_for_reader(user=user, request_id=change_request_id)
    change_request_handle(
        request_id=change_request_id, by=user, outcome=payload.outcome, note=payload.note
    )
    return change_request_out(change_request_for_reader(user=user, request_id=change_request_id))
