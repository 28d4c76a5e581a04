"""Treatment parameters: what was delivered in a session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from charting.api.builders import parameters_out
from charting.api.schemas import ERRORS, ParametersIn, ParametersOut
from charting.selectors.chart import chart_session, session_parameters_get
from charting.treatment import parameters_record
from clinic.permissions import acting_user

router = Router()


@router.get(
    "/sessions/{session_id}/parameters",
    response={200: ParametersOut, **ERRORS},
    operation_id="charting_api_get_parameters",
)
def get_parameters(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = chart_session(user=acting_user(request), session_id=session_id)
    return parameters_out(session_parameters_get(session=session))


@router.put(
    "/sessions/{session_id}/parameters",
    response={200: ParametersOut, **ERRORS},
    operation_id="charting_api_put_parameters",
)
def put_parameters(request: HttpRequest, session_id: int, payload: ParametersIn) -> dict[str, Any]:
    """Record what was delivered (shape by modality; see docs/api/charting.md)."""
    user = acting_user(request)
    session = chart_session(user=user, session_id=session_id)
    row = parameters_record(session=session, values=payload.values, by=user)
    return parameters_out(row)
