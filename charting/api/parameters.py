"""Treatment parameters: what was delivered in a session."""

from __future__ import annotations

from django.http import HttpRequest

from charting import services
from charting.api.builders import _parameters_out
from charting.api.common import _ERRORS, ChartingRouter, _session
from charting.api.schemas import ParametersIn, ParametersOut
from charting.models import TreatmentParameters
from clinic.errors import NotFound

router = ChartingRouter()


@router.get("/sessions/{session_id}/parameters", response={200: ParametersOut, **_ERRORS})
def get_parameters(request: HttpRequest, session_id: int):
    session = _session(request, session_id)
    p = TreatmentParameters.objects.filter(session=session).first()
    if p is None:
        raise NotFound("No parameters recorded for this session.", code="parameters_not_found")
    return _parameters_out(p)


@router.put("/sessions/{session_id}/parameters", response={200: ParametersOut, **_ERRORS})
def put_parameters(request: HttpRequest, session_id: int, payload: ParametersIn):
    """Record what was delivered (shape by modality; see docs/api/charting.md)."""
    session = _session(request, session_id)
    p = services.parameters_record(session=session, values=payload.values, by=request.user)
    return _parameters_out(p)
