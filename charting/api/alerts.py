"""Alerts: list them, acknowledge one."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query

from charting import services
from charting.api.builders import _alert_out
from charting.api.common import _ERRORS, ChartingRouter, _get, _reader
from charting.api.schemas import AlertFilter, AlertOut, NoteIn
from charting.models import Alert
from clinic.permissions import filter_sites

router = ChartingRouter()


@router.get("/alerts", response={200: list[AlertOut], **_ERRORS})
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]):
    _reader(request)
    qs = filter_sites(Alert.objects.select_related("acknowledged_by"), request.user)
    if filters.open:
        qs = qs.filter(acknowledged_at__isnull=True)
    if filters.session_id is not None:
        qs = qs.filter(session_id=filters.session_id)
    if filters.course_id is not None:
        qs = qs.filter(course_id=filters.course_id)
    return [_alert_out(a) for a in qs[:500]]


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **_ERRORS})
def acknowledge_alert(request: HttpRequest, alert_id: int, payload: NoteIn):
    """Clinician only. A safety alert (PHQ-9 item 9) needs a note of the assessment."""
    alert = _get(request, Alert.objects.all(), alert_id, "alert_not_found", "alert")
    alert = services.alert_acknowledge(alert=alert, note=payload.note, by=request.user)
    return _alert_out(alert)
