"""Staff side of measurement-based care between sessions (CLINICAL.md §6): what self-reports
are due (schedulers too), what patients reported (nurses and clinicians), daily check-ins on
or off, the course trajectory, and the early-improvement review and its decision
(clinicians)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from charting.api.builders import (
    checkin_out,
    due_point_out,
    early_review_out,
    mood_out,
    self_report_out,
    series_out,
)
from charting.api.patient_report_schemas import (
    CheckinOut,
    CheckinSettingIn,
    CheckinSettingOut,
    DecisionIn,
    DuePointOut,
    EarlyReviewOut,
    ReviewFilter,
    SelfReportOut,
    SitePatientSettingsIn,
    SitePatientSettingsOut,
    TrajectoryOut,
)
from charting.api.schemas import ERRORS
from charting.early_review import early_review_decide
from charting.error_codes import ERR_REVIEW_NOT_FOUND
from charting.patient_link import crisis_out
from charting.patient_settings import course_checkin_set, site_patient_settings_update
from charting.selectors.chart import chart_course
from charting.selectors.patient_reports import (
    checkin_enabled,
    course_checkins,
    course_early_review,
    course_self_reports,
    course_trajectory,
    early_review_for_reader,
    patient_report_reader_require,
    self_report_due,
    site_patient_settings,
)
from charting.selectors.queues import early_review_list
from clinic.clock import resolve_now
from clinic.errors import NotFound
from clinic.permissions import acting_user
from clinic.selectors import site_get_for_user

router = Router()


@router.get(
    "/courses/{course_id}/self-reports/due",
    response={200: list[DuePointOut], **ERRORS},
    operation_id="charting_api_course_self_reports_due",
)
def course_self_reports_due(request: HttpRequest, course_id: int) -> list[dict[str, Any]]:
    """What the patient is due to complete and what they did (states only, no answers:
    schedulers may read this)."""
    course = chart_course(user=acting_user(request), course_id=course_id)
    return [due_point_out(s) for s in self_report_due(course=course, now=resolve_now(None))]


@router.get(
    "/courses/{course_id}/self-reports",
    response={200: list[SelfReportOut], **ERRORS},
    operation_id="charting_api_course_self_reports",
)
def course_self_report_list(request: HttpRequest, course_id: int) -> list[dict[str, Any]]:
    """The patient's own reports with their answers (nurses and clinicians)."""
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    patient_report_reader_require(user=user)
    return [self_report_out(r) for r in course_self_reports(course=course)]


@router.get(
    "/courses/{course_id}/checkins",
    response={200: list[CheckinOut], **ERRORS},
    operation_id="charting_api_course_checkins",
)
def course_checkin_list(request: HttpRequest, course_id: int) -> list[dict[str, Any]]:
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    patient_report_reader_require(user=user)
    return [checkin_out(c) for c in course_checkins(course=course)]


@router.put(
    "/courses/{course_id}/checkin-setting",
    response={200: CheckinSettingOut, **ERRORS},
    operation_id="charting_api_set_course_checkin",
)
def set_course_checkin(
    request: HttpRequest, course_id: int, payload: CheckinSettingIn
) -> dict[str, Any]:
    """Clinician: turn the patient's daily check-in on or off for this course."""
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    row = course_checkin_set(course=course, enabled=payload.enabled, by=user)
    return {"course_id": course.pk, "enabled": row.enabled, "source": "course"}


@router.get(
    "/courses/{course_id}/checkin-setting",
    response={200: CheckinSettingOut, **ERRORS},
    operation_id="charting_api_get_course_checkin",
)
def get_course_checkin(request: HttpRequest, course_id: int) -> dict[str, Any]:
    course = chart_course(user=acting_user(request), course_id=course_id)
    own = hasattr(course, "checkin_setting")
    return {
        "course_id": course.pk,
        "enabled": checkin_enabled(course=course),
        "source": "course" if own else "site",
    }


@router.get(
    "/courses/{course_id}/trajectory",
    response={200: TrajectoryOut, **ERRORS},
    operation_id="charting_api_course_trajectory",
)
def course_trajectory_read(request: HttpRequest, course_id: int) -> dict[str, Any]:
    """Self-report and clinician-rated series apart, with response and remission lines, daily
    mood and the early-improvement point (nurses and clinicians)."""
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    patient_report_reader_require(user=user)
    t = course_trajectory(course=course)
    review = course_early_review(course=course)
    return {
        "course_id": course.pk,
        "series": [series_out(s) for s in t.series],
        "mood": mood_out(t.mood),
        "early_review": early_review_out(review) if review is not None else None,
    }


@router.get(
    "/early-reviews",
    response={200: list[EarlyReviewOut], **ERRORS},
    operation_id="charting_api_list_early_reviews",
)
def list_early_reviews(request: HttpRequest, filters: Query[ReviewFilter]) -> list[dict[str, Any]]:
    """Early-improvement reviews at your sites; `open=true` (default): waiting for a decision."""
    rows = early_review_list(user=acting_user(request), open_only=filters.open)
    return [early_review_out(r) for r in rows]


@router.get(
    "/courses/{course_id}/early-review",
    response={200: EarlyReviewOut, **ERRORS},
    operation_id="charting_api_course_early_review",
)
def get_course_early_review(request: HttpRequest, course_id: int) -> dict[str, Any]:
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    patient_report_reader_require(user=user)
    review = course_early_review(course=course)
    if review is None:
        raise NotFound("Not evaluated yet.", code=ERR_REVIEW_NOT_FOUND)
    return early_review_out(review)


@router.post(
    "/early-reviews/{review_id}/decision",
    response={200: EarlyReviewOut, **ERRORS},
    operation_id="charting_api_decide_early_review",
)
def decide_early_review(
    request: HttpRequest, review_id: int, payload: DecisionIn
) -> dict[str, Any]:
    """Clinician: continue, change_protocol_or_target, extend or stop, with a note. Nothing in
    the schedule changes here; `next_step` names the flow that carries the decision out."""
    user = acting_user(request)
    review = early_review_for_reader(user=user, review_id=review_id)
    return early_review_out(
        early_review_decide(review=review, decision=payload.decision, note=payload.note, by=user)
    )


@router.get(
    "/sites/{site_id}/patient-settings",
    response={200: SitePatientSettingsOut, **ERRORS},
    operation_id="charting_api_get_site_patient_settings",
)
def get_site_patient_settings(request: HttpRequest, site_id: int) -> dict[str, Any]:
    user = acting_user(request)
    site = site_get_for_user(user=user, site_id=site_id)
    row = site_patient_settings(site=site)
    return {
        "crisis_resources": crisis_out(row)["resources"],
        "callback_promise": row.callback_promise,
        "site_id": site.pk,
        "daily_checkin_default": row.daily_checkin_default,
    }


@router.put(
    "/sites/{site_id}/patient-settings",
    response={200: SitePatientSettingsOut, **ERRORS},
    operation_id="charting_api_set_site_patient_settings",
)
def set_site_patient_settings(
    request: HttpRequest, site_id: int, payload: SitePatientSettingsIn
) -> dict[str, Any]:
    """Admin: the crisis resources patients see at once on a risk answer (one per line), the
    callback promise, and whether daily check-ins are on by default."""
    user = acting_user(request)
    site = site_get_for_user(user=user, site_id=site_id)
    row = site_patient_settings_update(
        site=site,
        crisis_resources=payload.crisis_resources,
        callback_promise=payload.callback_promise,
        daily_checkin_default=payload.daily_checkin_default,
        by=user,
    )
    return {
        "crisis_resources": crisis_out(row)["resources"],
        "callback_promise": row.callback_promise,
        "site_id": site.pk,
        "daily_checkin_default": row.daily_checkin_default,
    }
