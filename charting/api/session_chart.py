"""A session's charting overview, including whether check-in, start and completion are
allowed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from charting.api.builders import session_chart_out
from charting.api.schemas import ERRORS, SessionChartOut
from charting.selectors.chart import chart_session
from charting.selectors.chart import session_chart as session_chart_read
from clinic.permissions import acting_user

router = Router()


@router.get(
    "/sessions/{session_id}",
    response={200: SessionChartOut, **ERRORS},
    operation_id="charting_api_session_chart",
)
def session_chart(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Charting status of a session: screenings, observation, parameters, open alerts, and
    whether check-in, start and completion are allowed (and if not, why)."""
    user = acting_user(request)
    session = chart_session(user=user, session_id=session_id)
    return session_chart_out(session_chart_read(session=session, user=user))
