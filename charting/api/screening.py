"""Course and session screening: submit, read, override a hard stop, review."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Status

from charting import services
from charting.api.builders import _screening_out
from charting.api.common import _ERRORS, ChartingRouter, _course, _get, _session
from charting.api.schemas import AnswersIn, NoteIn, OverrideIn, ScreeningOut
from charting.models import ScreeningResponse
from clinic.errors import NotFound

router = ChartingRouter()


@router.post("/courses/{course_id}/screening", response={201: ScreeningOut, **_ERRORS})
def submit_course_screening(request: HttpRequest, course_id: int, payload: AnswersIn):
    course = _course(request, course_id)
    s = services.course_screening_submit(course=course, answers=payload.answers, by=request.user)
    return Status(201, _screening_out(s))


@router.get("/courses/{course_id}/screening", response={200: ScreeningOut, **_ERRORS})
def get_course_screening(request: HttpRequest, course_id: int):
    course = _course(request, course_id)
    s = ScreeningResponse.objects.filter(course=course, level="course").first()
    if s is None:
        raise NotFound("The course screening has not been completed.", code="screening_not_found")
    return _screening_out(s)


@router.post("/sessions/{session_id}/screening", response={201: ScreeningOut, **_ERRORS})
def submit_session_screening(request: HttpRequest, session_id: int, payload: AnswersIn):
    session = _session(request, session_id)
    s = services.session_screening_submit(session=session, answers=payload.answers, by=request.user)
    return Status(201, _screening_out(s))


@router.get("/sessions/{session_id}/screening", response={200: ScreeningOut, **_ERRORS})
def get_session_screening(request: HttpRequest, session_id: int):
    session = _session(request, session_id)
    s = ScreeningResponse.objects.filter(session=session, level="session").first()
    if s is None:
        raise NotFound("The session screening has not been completed.", code="screening_not_found")
    return _screening_out(s)


def _screening(request: HttpRequest, pk: int) -> ScreeningResponse:
    qs = ScreeningResponse.objects.select_related("template")
    return _get(request, qs, pk, "screening_not_found", "screening")


@router.post("/screenings/{screening_id}/override", response={200: ScreeningOut, **_ERRORS})
def override_screening(request: HttpRequest, screening_id: int, payload: OverrideIn):
    """Clinician only: clear a hard stop with a reason (who and when are recorded)."""
    s = _screening(request, screening_id)
    s = services.screening_override(screening=s, reason=payload.reason, by=request.user)
    return _screening_out(s)


@router.post("/screenings/{screening_id}/review", response={200: ScreeningOut, **_ERRORS})
def review_screening(request: HttpRequest, screening_id: int, payload: NoteIn):
    """Clinician only: mark the items flagged for review as reviewed."""
    s = _screening(request, screening_id)
    s = services.screening_review(screening=s, note=payload.note, by=request.user)
    return _screening_out(s)
