"""Outcome scales: definitions, recording an administration, a course's outcomes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from charting.api.builders import outcome_out, scale_def_out, scale_out
from charting.api.schemas import (
    ERRORS,
    BaselineMarkIn,
    OutcomeOut,
    ScaleDefOut,
    ScaleIn,
    ScaleOut,
)
from charting.outcomes import scale_baseline_mark, scale_record
from charting.scoring import SCALES
from charting.selectors.chart import chart_course, chart_reader_require
from charting.selectors.patient_reports import course_outcomes as course_outcomes_read
from charting.selectors.patient_reports import course_scale_get, patient_report_reader_require
from clinic.permissions import acting_user
from scheduling.selectors import course_session_get

router = Router()


@router.get(
    "/scales", response={200: list[ScaleDefOut], **ERRORS}, operation_id="charting_api_list_scales"
)
def list_scales(request: HttpRequest) -> list[dict[str, Any]]:
    chart_reader_require(user=acting_user(request))
    return [scale_def_out(s) for s in SCALES.values()]


@router.post(
    "/courses/{course_id}/scales",
    response={201: ScaleOut, **ERRORS},
    operation_id="charting_api_record_scale",
)
def record_scale(request: HttpRequest, course_id: int, payload: ScaleIn) -> Status:
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    session = None
    if payload.session_id is not None:
        session = course_session_get(course=course, session_id=payload.session_id)
    row = scale_record(
        course=course,
        scale=payload.scale,
        items=payload.items,
        administered_at=payload.administered_at,
        session=session,
        by=user,
    )
    return Status(201, scale_out(row))


@router.post(
    "/courses/{course_id}/scales/{scale_id}/baseline",
    response={200: ScaleOut, **ERRORS},
    operation_id="charting_api_mark_scale_baseline",
)
def mark_scale_baseline(
    request: HttpRequest, course_id: int, scale_id: int, payload: BaselineMarkIn
) -> dict[str, Any]:
    """A clinician marks this administration as the course's baseline on its scale, with a
    reason (when the scale was not taken before or at the first session)."""
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    row = scale_baseline_mark(
        administration=course_scale_get(course=course, scale_id=scale_id),
        reason=payload.reason,
        by=user,
    )
    return scale_out(row)


@router.get(
    "/courses/{course_id}/outcomes",
    response={200: list[OutcomeOut], **ERRORS},
    operation_id="charting_api_course_outcomes",
)
def course_outcomes(request: HttpRequest, course_id: int) -> list[dict[str, Any]]:
    """Per scale: baseline (taken before or at the first session, or marked by a clinician;
    else none, and no response or remission), trajectory, response and remission, with each
    administration's item answers (nurses and clinicians: `patient_answers_visible`)."""
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    patient_report_reader_require(user=user)
    return [outcome_out(o, rows) for o, rows, _series in course_outcomes_read(course=course)]
