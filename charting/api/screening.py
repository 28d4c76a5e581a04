"""Course and session screening: submit, read, override a hard stop, review."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from charting.api.builders import screening_out
from charting.api.schemas import ERRORS, AnswersIn, NoteIn, OverrideIn, ScreeningOut
from charting.screening import (
    course_screening_submit,
    screening_override,
    screening_review,
    session_screening_submit,
)
from charting.selectors.chart import (
    chart_course,
    chart_session,
    course_screening_get,
    screening_for_reader,
    session_screening_get,
)
from clinic.permissions import acting_user

router = Router()


@router.post(
    "/courses/{course_id}/screening",
    response={201: ScreeningOut, **ERRORS},
    operation_id="charting_api_submit_course_screening",
)
def submit_course_screening(request: HttpRequest, course_id: int, payload: AnswersIn) -> Status:
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    row = course_screening_submit(course=course, answers=payload.answers, by=user)
    return Status(201, screening_out(row))


@router.get(
    "/courses/{course_id}/screening",
    response={200: ScreeningOut, **ERRORS},
    operation_id="charting_api_get_course_screening",
)
def get_course_screening(request: HttpRequest, course_id: int) -> dict[str, Any]:
    course = chart_course(user=acting_user(request), course_id=course_id)
    return screening_out(course_screening_get(course=course))


@router.post(
    "/sessions/{session_id}/screening",
    response={201: ScreeningOut, **ERRORS},
    operation_id="charting_api_submit_session_screening",
)
def submit_session_screening(request: HttpRequest, session_id: int, payload: AnswersIn) -> Status:
    user = acting_user(request)
    session = chart_session(user=user, session_id=session_id)
    row = session_screening_submit(session=session, answers=payload.answers, by=user)
    return Status(201, screening_out(row))


@router.get(
    "/sessions/{session_id}/screening",
    response={200: ScreeningOut, **ERRORS},
    operation_id="charting_api_get_session_screening",
)
def get_session_screening(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = chart_session(user=acting_user(request), session_id=session_id)
    return screening_out(session_screening_get(session=session))


@router.post(
    "/screenings/{screening_id}/override",
    response={200: ScreeningOut, **ERRORS},
    operation_id="charting_api_override_screening",
)
def override_screening(
    request: HttpRequest, screening_id: int, payload: OverrideIn
) -> dict[str, Any]:
    """Clinician only: clear a hard stop with a reason (who and when are recorded)."""
    user = acting_user(request)
    row = screening_for_reader(user=user, screening_id=screening_id)
    return screening_out(screening_override(screening=row, reason=payload.reason, by=user))


@router.post(
    "/screenings/{screening_id}/review",
    response={200: ScreeningOut, **ERRORS},
    operation_id="charting_api_review_screening",
)
def review_screening(request: HttpRequest, screening_id: int, payload: NoteIn) -> dict[str, Any]:
    """Clinician only: mark the items flagged for review as reviewed."""
    user = acting_user(request)
    row = screening_for_reader(user=user, screening_id=screening_id)
    return screening_out(screening_review(screening=row, note=payload.note, by=user))
