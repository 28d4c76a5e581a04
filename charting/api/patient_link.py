"""The patient's own API: their due questionnaires, answers, daily check-in, trajectory and
data, authenticated ONLY by their own link token (header `X-Patient-Token`) and only for
their own courses. Staff credentials do not open it; a companion's token does not either.

A PHQ-9 item 9 answer above 0 comes back with `crisis` (the site's crisis resources and
callback promise), built after the transaction that raised the urgent alert committed.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.security import APIKeyHeader

from charting.api.builders import checkin_out, mood_out, series_out
from charting.api.patient_report_schemas import (
    AnswerIn,
    CheckinIn,
    CheckinOut,
    PatientCourseOut,
    PatientReportResultOut,
    PatientTrajectoryOut,
    SelfReportSubmitIn,
)
from charting.api.schemas import ERRORS
from charting.daily_checkin import daily_checkin_save
from charting.models import SelfReport
from charting.patient_link import (
    PatientLink,
    crisis_out,
    patient_course,
    patient_course_overview,
    patient_csv_text,
    patient_link_resolve,
)
from charting.selectors.patient_reports import course_trajectory, site_patient_settings
from charting.self_report import SelfReportResult, self_report_answer, self_report_submit
from clinic.api.schemas import ErrorOut
from scheduling.models import Course

PATIENT_ERRORS = {**ERRORS, 401: ErrorOut}


class PatientToken(APIKeyHeader):
    """The patient's link token; anything else (staff tokens included) is a 401."""

    param_name = "X-Patient-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> PatientLink | None:
        return patient_link_resolve(key)


router = Router(auth=PatientToken(), tags=["patient"])


def _course(request: HttpRequest, course_id: int) -> Course:
    link: PatientLink = request.auth  # type: ignore[attr-defined]
    return patient_course(patient=link.patient, course_id=course_id)


def result_out(course: Course, result: SelfReportResult) -> dict[str, Any]:
    report: SelfReport = result.report
    a = report.administration
    crisis = None
    if result.safety_positive:
        crisis = crisis_out(site_patient_settings(site=course.site))
    return {
        "scale": report.scale,
        "session_number": report.session_number,
        "status": report.status,
        "answers": dict(report.answers),
        "total": a.total if a is not None else None,
        "band": a.band if a is not None else None,
        "already_submitted": result.already_submitted,
        "crisis": crisis,
    }


@router.get(
    "/courses/{course_id}",
    response={200: PatientCourseOut, **PATIENT_ERRORS},
    operation_id="patient_api_course",
)
def patient_course_read(request: HttpRequest, course_id: int) -> dict[str, Any]:
    """What is due now (full item text), drafts to resume, and today's check-in."""
    return patient_course_overview(course=_course(request, course_id))


@router.put(
    "/courses/{course_id}/self-reports/{scale}/{session_number}/answers/{item}",
    response={200: PatientReportResultOut, **PATIENT_ERRORS},
    operation_id="patient_api_answer",
)
def patient_answer(
    request: HttpRequest,
    course_id: int,
    scale: str,
    session_number: int,
    item: str,
    payload: AnswerIn,
) -> dict[str, Any]:
    """Save one answer to the draft (resumable; may be changed until submitted)."""
    course = _course(request, course_id)
    result = self_report_answer(
        course=course, scale=scale, session_number=session_number, item=item, value=payload.value
    )
    return result_out(course, result)


@router.post(
    "/courses/{course_id}/self-reports/{scale}/{session_number}/submit",
    response={200: PatientReportResultOut, **PATIENT_ERRORS},
    operation_id="patient_api_submit",
)
def patient_submit(
    request: HttpRequest,
    course_id: int,
    scale: str,
    session_number: int,
    payload: SelfReportSubmitIn,
) -> dict[str, Any]:
    """Submit (answers here are merged over the draft). Submitting twice records once."""
    course = _course(request, course_id)
    result = self_report_submit(
        course=course, scale=scale, session_number=session_number, answers=payload.answers
    )
    return result_out(course, result)


@router.put(
    "/courses/{course_id}/checkins/today",
    response={200: CheckinOut, **PATIENT_ERRORS},
    operation_id="patient_api_checkin",
)
def patient_checkin(request: HttpRequest, course_id: int, payload: CheckinIn) -> dict[str, Any]:
    """Today's check-in; saving again today updates it (the earlier answers stay in history)."""
    course = _course(request, course_id)
    row, _ = daily_checkin_save(
        course=course,
        mood=payload.mood,
        sleep_hours=payload.sleep_hours,
        side_effects=payload.side_effects,
        note=payload.note,
    )
    return checkin_out(row)


@router.get(
    "/courses/{course_id}/trajectory",
    response={200: PatientTrajectoryOut, **PATIENT_ERRORS},
    operation_id="patient_api_trajectory",
)
def patient_trajectory(request: HttpRequest, course_id: int) -> dict[str, Any]:
    """The patient's own totals and daily mood (lower scale totals are better)."""
    course = _course(request, course_id)
    t = course_trajectory(course=course)
    return {
        "course_id": course.pk,
        "series": [series_out(s) for s in t.series],
        "mood": mood_out(t.mood),
    }


@router.get(
    "/courses/{course_id}/export.csv",
    response={200: str, **PATIENT_ERRORS},
    operation_id="patient_api_export_csv",
)
def patient_export(request: HttpRequest, course_id: int) -> HttpResponse:
    """The patient's own data as CSV: questionnaires (answers and totals) and check-ins."""
    course = _course(request, course_id)
    return csv_response(course)


def csv_response(course: Course) -> HttpResponse:
    response = HttpResponse(patient_csv_text(course=course), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-course-{course.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
