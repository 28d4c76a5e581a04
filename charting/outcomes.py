"""Outcome scales: record a scored administration (a positive PHQ-9 item 9 raises a
safety alert), whoever entered it, and mark a course's baseline. Scoring itself is pure:
charting/scoring.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from charting import scoring
from charting.early_review import early_review_evaluate
from charting.error_codes import ERR_INVALID_VALUE, ERR_SESSION_NOT_IN_COURSE, ERR_TIME_IN_FUTURE
from charting.models import Alert, EarlyReview, ScaleAdministration, ScaleSource, SelfReport
from charting.recording import CHARTING_ROLES, CLOCK_SKEW
from charting.safety_alerts import safety_alert_raise
from clinic.clock import resolve_now
from clinic.errors import InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role
from scheduling.error_codes import ERR_REASON_REQUIRED
from scheduling.models import Course, Session


def scale_record(
    *,
    course: Course,
    scale: str,
    items: Any,
    administered_at: dt.datetime,
    session: Session | None = None,
    by: User,
    now: dt.datetime | None = None,
) -> ScaleAdministration:
    """Score and store a rating scale entered by staff.

    A PHQ-9 item 9 above 0 takes the same path as the patient's own answer
    (`scale_administration_record`): the urgent alert in this transaction and the clinicians'
    email on commit.
    """
    try:
        definition = scoring.get_scale(scale)
    except scoring.ScoreError as exc:
        raise InvalidInput(str(exc), code=exc.code) from None
    if definition.rater == "clinician":
        require_role(by, ROLE_CLINICIAN, action=f"rate {definition.name.upper()}")
    else:
        require_role(by, *CHARTING_ROLES, action="record rating scales")
    now = resolve_now(now)
    if administered_at > now + CLOCK_SKEW:
        raise InvalidInput("administered_at: cannot be in the future.", code=ERR_TIME_IN_FUTURE)
    if not isinstance(items, dict):
        raise InvalidInput("items: must be an object of item scores.", code=ERR_INVALID_VALUE)
    try:
        result = scoring.score(scale, items)
    except scoring.ScoreError as exc:
        raise InvalidInput(str(exc), code=exc.code) from None
    if session is not None and session.course_id != course.pk:
        raise InvalidInput("session: belongs to another course.", code=ERR_SESSION_NOT_IN_COURSE)
    with transaction.atomic():
        return scale_administration_record(
            course=course,
            session=session,
            result=result,
            administered_at=administered_at,
            by=by,
            now=now,
        ).administration


@dataclass(frozen=True)
class ScaleRecorded:
    administration: ScaleAdministration
    # The item-9 safety alert raised by this call (None: not positive, or the patient's
    # report raised it already while answering).
    alert: Alert | None
    early_review: EarlyReview | None


def scale_administration_record(
    *,
    course: Course,
    session: Session | None,
    result: scoring.ScaleResult,
    administered_at: dt.datetime,
    by: User | None,
    now: dt.datetime,
    self_report: SelfReport | None = None,
    also: str = "",
    change_reason: str = "",
) -> ScaleRecorded:
    """Store a scored administration, raise its item-9 safety alert when positive
    (charting/safety_alerts.py) and evaluate the early-improvement review: the one way a scale
    is recorded, entered by staff (`by`) or by the patient on their own device (`by` None, from
    `self_report`; history rows then carry `change_reason`). Runs in the caller's transaction.
    """
    row = ScaleAdministration(
        course=course,
        session=session,
        site_id=course.site_id,
        patient_id=course.patient_id,
        scale=result.scale,
        items=result.items,
        total=result.total,
        band=result.band,
        safety_positive=result.safety_positive,
        administered_at=administered_at,
        source=ScaleSource.STAFF if by is not None else ScaleSource.PATIENT,
        recorded_by=by,
        recorded_at=now,
    )
    if change_reason:
        row._change_reason = change_reason  # type: ignore[attr-defined]
    save_with_history(row, by)
    alert = None
    if result.safety_positive:
        alert = safety_alert_raise(
            course=course,
            session_id=session.pk if session is not None else None,
            answer=result.items[scoring.get_scale(result.scale).safety_item or ""],
            by=by,
            scale=row,
            self_report=self_report,
            also=also,
            change_reason=change_reason,
            now=now,
        )
    return ScaleRecorded(row, alert, early_review_evaluate(course=course, now=now))


def scale_baseline_mark(
    *,
    administration: ScaleAdministration,
    reason: str,
    by: User,
    now: dt.datetime | None = None,
) -> ScaleAdministration:
    """A clinician marks one administration as the course's baseline on its scale, with a
    reason (e.g. the patient transferred in at session 14 with no earlier score).

    Otherwise the baseline is the scale taken before or at the first session (charting/
    scoring.py `baseline_index`), and a scale first taken later has none: no response or
    remission is computed from it. Who, when and why are kept on the row and in its history;
    a mark on another administration of the same course and scale is cleared (history keeps
    it). The early-improvement review is evaluated if it was waiting for a baseline.
    """
    require_role(by, ROLE_CLINICIAN, action="mark a baseline")
    now = resolve_now(now)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "reason: say why this score is the baseline (it goes on the record).",
            code=ERR_REASON_REQUIRED,
        )
    with transaction.atomic():
        # Lock the course: two marks at once must leave one baseline.
        Course.objects.select_for_update().filter(pk=administration.course_id).first()
        row = ScaleAdministration.objects.select_for_update().get(pk=administration.pk)
        for other in ScaleAdministration.objects.filter(
            course_id=row.course_id, scale=row.scale, baseline_marked_at__isnull=False
        ).exclude(pk=row.pk):
            other.baseline_reason, other.baseline_marked_by, other.baseline_marked_at = (
                "",
                None,
                None,
            )
            save_with_history(other, by)
        row.baseline_reason = reason[:500]
        row.baseline_marked_by = by
        row.baseline_marked_at = now
        save_with_history(row, by)
        early_review_evaluate(course=row.course, now=now)
        return row
