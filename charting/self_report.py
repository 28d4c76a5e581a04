"""A patient's own PHQ-9 or GAD-7 from their link page (CLINICAL.md §6).

The patient answers one item at a time into a draft (`self_report_answer`), may go back and
change an answer, and submits (`self_report_submit`), which scores the answers into a
ScaleAdministration labelled as the patient's own (source "patient") and freezes the report.

Safety first: the moment a PHQ-9 item 9 answer above 0 is saved, in draft or at submission,
the same transaction raises an urgent safety alert for the site's clinicians and queues an
email to them on commit. The caller (page or API) builds its response, with the site's crisis
resources, only after that transaction has committed, so the alert exists before the patient
sees the answer acknowledged. The alert is raised once per report: a unique constraint on
(self report) backs the check, so a double submission or a second positive answer adds
nothing. Answering item 9 is never stored silently, even if the patient then changes it.

Patients are not users: these services take the course the patient's link resolved to, and
history rows carry no user and the change reason "patient link".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from charting import scoring
from charting.error_codes import (
    ERR_INCOMPLETE,
    ERR_INVALID_VALUE,
    ERR_ITEM_OUT_OF_RANGE,
    ERR_MISSING_ITEM,
    ERR_SELF_REPORT_NOT_DUE,
    ERR_SELF_REPORT_NOT_FOUND,
    ERR_SELF_REPORT_RECORDED_IN_CLINIC,
    ERR_SELF_REPORT_SUBMITTED,
    ERR_UNKNOWN_ITEM,
    ERR_UNKNOWN_SCALE,
)
from charting.models import Alert, EarlyReview, SelfReport
from charting.outcomes import scale_administration_record
from charting.safety_alerts import safety_alert_raise
from charting.selectors.patient_reports import (
    local_today,
    self_report_points_of,
    self_report_recorded_in_clinic,
    site_patient_settings,
)
from charting.self_report_schedule import DuePoint, open_point
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput, NotFound
from scheduling.models import Course, Session

PATIENT_CHANGE = "patient link"


@dataclass(frozen=True)
class SelfReportResult:
    report: SelfReport
    # The report holds a positive safety answer (item 9 above 0), now or earlier: the page
    # shows the crisis resources.
    safety_positive: bool
    # A safety alert was raised by this call (False when it existed already).
    alert_raised: bool
    already_submitted: bool = False
    early_review: EarlyReview | None = None


def _definition(scale: str) -> scoring.ScaleDef:
    try:
        definition = scoring.get_scale(scale)
    except scoring.ScoreError as exc:
        raise NotFound(str(exc), code=ERR_UNKNOWN_SCALE) from None
    return definition


def _point(course: Course, scale: str, session_number: int, now: dt.datetime) -> DuePoint:
    spec = course.protocol.parsed
    if not any(o.scale == scale and o.self_report for o in spec.outcomes):
        raise NotFound(
            f"{scale} is not a self-report of this course.", code=ERR_SELF_REPORT_NOT_FOUND
        )
    today = local_today(course=course, now=now)
    point = open_point(self_report_points_of(course=course), scale=scale, today=today)
    if point is None or point.session_number != session_number:
        raise Conflict(
            "This questionnaire is not open now. Your page shows the ones due today.",
            code=ERR_SELF_REPORT_NOT_DUE,
        )
    if self_report_recorded_in_clinic(course=course, points=[point]):
        raise Conflict(
            "You already answered this questionnaire with your clinic: there is nothing to "
            "fill in now.",
            code=ERR_SELF_REPORT_RECORDED_IN_CLINIC,
        )
    return point


def _clean_answer(definition: scoring.ScaleDef, item: str, value: Any) -> int:
    match = next((i for i in definition.items if i.key == item), None)
    if match is None:
        raise InvalidInput(
            f"item: {item!r} is not an item of {definition.name}.", code=ERR_UNKNOWN_ITEM
        )
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= match.max:
        raise InvalidInput(
            f"{item}: must be a whole number from 0 to {match.max}.", code=ERR_ITEM_OUT_OF_RANGE
        )
    return value


def _locked_report(course: Course, point: DuePoint, now: dt.datetime) -> SelfReport:
    """The point's report, created on first use, locked for this transaction."""
    report = (
        SelfReport.objects.select_for_update()
        .filter(course=course, scale=point.scale, session_number=point.session_number)
        .first()
    )
    if report is not None:
        return report
    session = Session.objects.filter(course=course, number=point.session_number).first()
    try:
        with transaction.atomic():
            report = SelfReport(
                course=course,
                site_id=course.site_id,
                patient_id=course.patient_id,
                scale=point.scale,
                session_number=point.session_number,
                session=session,
                answers={},
                started_at=now,
                updated_at=now,
            )
            report._change_reason = PATIENT_CHANGE  # type: ignore[attr-defined]
            report.save()
    except IntegrityError:
        # The same patient's other tab created it first: use that one.
        pass
    return SelfReport.objects.select_for_update().get(
        course=course, scale=point.scale, session_number=point.session_number
    )


def _promise(report: SelfReport) -> str:
    promise = site_patient_settings(site=report.site).callback_promise
    return f"The patient was shown the crisis resources and told: {promise}"


def self_report_answer(
    *,
    course: Course,
    scale: str,
    session_number: int,
    item: str,
    value: Any,
    now: dt.datetime | None = None,
) -> SelfReportResult:
    """Save one answer into the open report's draft (created on the first answer)."""
    now = resolve_now(now)
    definition = _definition(scale)
    point = _point(course, scale, session_number, now)
    clean = _clean_answer(definition, item, value)
    with transaction.atomic():
        report = _locked_report(course, point, now)
        if report.status == SelfReport.Status.SUBMITTED:
            raise Conflict(
                "This questionnaire was submitted and can no longer be changed.",
                code=ERR_SELF_REPORT_SUBMITTED,
            )
        report.answers = {**report.answers, item: clean}
        report.updated_at = now
        raised = False
        if item == definition.safety_item and clean > 0:
            report.safety_positive = True
            raised = (
                safety_alert_raise(
                    course=course,
                    session_id=report.session_id,
                    answer=clean,
                    by=None,
                    self_report=report,
                    also=_promise(report),
                    change_reason=PATIENT_CHANGE,
                    now=now,
                )
                is not None
            )
        report._change_reason = PATIENT_CHANGE  # type: ignore[attr-defined]
        report.save()
    return SelfReportResult(report, report.safety_positive, raised)


def self_report_submit(
    *,
    course: Course,
    scale: str,
    session_number: int,
    answers: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> SelfReportResult:
    """Score and submit the report (answers given here are merged over the draft's).

    Submitting a report that is already submitted changes nothing and returns it with
    `already_submitted` (a double tap, a retried request): one administration, one alert.
    """
    now = resolve_now(now)
    definition = _definition(scale)
    if answers is not None and not isinstance(answers, dict):
        raise InvalidInput("answers: must be an object of item scores.", code=ERR_INVALID_VALUE)
    with transaction.atomic():
        existing = (
            SelfReport.objects.select_for_update()
            .filter(course=course, scale=scale, session_number=session_number)
            .first()
        )
        if existing is not None and existing.status == SelfReport.Status.SUBMITTED:
            return SelfReportResult(
                existing, existing.safety_positive, False, already_submitted=True
            )
        point = _point(course, scale, session_number, now)
        report = _locked_report(course, point, now)
        if report.status == SelfReport.Status.SUBMITTED:
            return SelfReportResult(report, report.safety_positive, False, already_submitted=True)
        merged = {**report.answers, **(answers or {})}
        for key, value in (answers or {}).items():
            _clean_answer(definition, key, value)
        try:
            result = scoring.score(scale, merged)
        except scoring.ScoreError as exc:
            code = ERR_INCOMPLETE if exc.code == ERR_MISSING_ITEM else exc.code
            raise InvalidInput(str(exc), code=code) from None
        recorded = scale_administration_record(
            course=course,
            session=report.session,
            result=result,
            administered_at=now,
            by=None,
            now=now,
            self_report=report,
            also=_promise(report) if result.safety_positive else "",
            change_reason=PATIENT_CHANGE,
        )
        administration = recorded.administration
        report.answers = result.items
        report.administration = administration
        report.status = SelfReport.Status.SUBMITTED
        report.submitted_at = now
        report.updated_at = now
        if result.safety_positive:
            report.safety_positive = True
        report._change_reason = PATIENT_CHANGE  # type: ignore[attr-defined]
        report.save()
        for alert in Alert.objects.filter(self_report=report, scale__isnull=True):
            alert.scale = administration
            alert._change_reason = PATIENT_CHANGE  # type: ignore[attr-defined]
            alert.save(update_fields=["scale"])
    return SelfReportResult(
        report,
        report.safety_positive,
        recorded.alert is not None,
        early_review=recorded.early_review,
    )
