"""A session's charting overview, including whether check-in, start and completion are
allowed."""

from __future__ import annotations

from django.http import HttpRequest

from charting.api.builders import _alert_out, _gate, _parameters_out, _screening_out
from charting.api.common import _ERRORS, ChartingRouter, _session
from charting.api.schemas import SessionChartOut
from charting.models import Alert, ObservationRecord, ScreeningResponse, TreatmentParameters

router = ChartingRouter()


@router.get("/sessions/{session_id}", response={200: SessionChartOut, **_ERRORS})
def session_chart(request: HttpRequest, session_id: int):
    """Charting status of a session: screenings, observation, parameters, open alerts, and
    whether check-in, start and completion are allowed (and if not, why)."""
    from charting import gates

    session = _session(request, session_id)
    forms = session.course.protocol.parsed.forms
    course_s = ScreeningResponse.objects.filter(course_id=session.course_id, level="course").first()
    session_s = ScreeningResponse.objects.filter(session=session, level="session").first()
    record = ObservationRecord.objects.filter(session=session).first()
    params = TreatmentParameters.objects.filter(session=session).first()
    alerts = Alert.objects.filter(session=session, acknowledged_at__isnull=True)
    return {
        "session_id": session.pk,
        "status": session.status,
        "modality": session.course.modality,
        "course_screening_form": forms.course_screening,
        "session_screening_form": forms.session_screening,
        "observation_form": forms.observation,
        "course_screening": _screening_out(course_s) if course_s else None,
        "session_screening": _screening_out(session_s) if session_s else None,
        "observation_id": record.pk if record else None,
        "observation_status": record.status if record else None,
        "parameters": _parameters_out(params) if params else None,
        "open_alerts": [_alert_out(a) for a in alerts],
        "check_in": _gate(gates.check_in_allowed, session),
        "start": _gate(gates.start_allowed, session),
        "complete": _gate(gates.complete_allowed, session),
    }
