"""Alerts: list them, acknowledge one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from charting.alerts import alert_acknowledge
from charting.api.builders import alert_out
from charting.api.schemas import ERRORS, AlertFilter, AlertOut, NoteIn
from charting.selectors.chart import alert_for_reader
from charting.selectors.queues import alert_list
from clinic.permissions import acting_user

router = Router()


@router.get(
    "/alerts", response={200: list[AlertOut], **ERRORS}, operation_id="charting_api_list_alerts"
)
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]) -> list[dict[str, Any]]:
    rows = alert_list(
        user=acting_user(request),
        open_only=filters.open,
        session_id=filters.session_id,
        course_id=filters.course_id,
    )
    return [alert_out(a) for a in rows]


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **ERRORS},
    operation_id="charting_api_acknowledge_alert",
)
def acknowledge_alert(request: HttpRequest, alert_id: int, payload: NoteIn) -> dict[str, Any]:
    """Clinician only. A safety alert (PHQ-9 item 9) needs a note of the assessment."""
    user = acting_user(request)
    alert = alert_for_reader(user=user, alert_id=alert_id)
    return alert_out(alert_acknowledge(alert=alert, note=payload.note, by=user))
