"""The early-improvement review (CLINICAL.md §6).

At the session the protocol sets (`early_review.at_session`; the built-in 10 Hz, iTBS and H1
TMS protocols: session 10), the review's scale is compared with its baseline. Less than the
protocol's threshold (20%) of improvement is a review item for the prescriber, shown with the
figures and the cited predictive value [Iowa 2022], never an automatic change: the course goes
on as booked until a clinician records a decision (continue, change protocol or target, add
sessions, stop) with a note. "Change protocol or target" and "stop" are then done through the
normal booking and discontinuation flows, by people, with the decision on record.

The course is evaluated once, when both are there: the review session is completed, and a
score at or after it (from the patient's own report or from staff) can be compared with the
course's baseline (charting/scoring.py `baseline_index`: taken before or at the first session,
or marked by a clinician). Whichever comes last triggers it: the score (charting/outcomes.py,
charting/self_report.py) or the completion (charting/gates.py `after_complete`). No baseline,
no review. The row is kept when no review is needed too, so the course chart can show the
early-improvement point.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from charting.baselines import course_first_session, course_session_numbers, scale_taken
from charting.error_codes import (
    ERR_ALREADY_DECIDED,
    ERR_INVALID_DECISION,
    ERR_NOTE_REQUIRED,
    ERR_REVIEW_NOT_NEEDED,
)
from charting.models import EarlyReview, ScaleAdministration
from charting.scoring import baseline_index
from charting.self_report_schedule import review_finding, review_measures
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role
from scheduling.models import Course, Session

DECISIONS = tuple(choice.value for choice in EarlyReview.Decision)
# What the staff do next after each decision (the pages link to it; nothing here changes the
# schedule).
NEXT_STEP = {
    EarlyReview.Decision.CONTINUE: "",
    EarlyReview.Decision.CHANGE: "book_new_course",
    EarlyReview.Decision.EXTEND: "add_sessions",
    EarlyReview.Decision.STOP: "discontinue_course",
}


def early_review_evaluate(*, course: Course, now: dt.datetime | None = None) -> EarlyReview | None:
    """Evaluate the course's early-improvement point if it is due and not yet evaluated.

    Returns the review (new or existing), or None when the protocol has no review point, the
    review session is not completed, it has no score yet, or the scale has no baseline. Runs
    inside the caller's transaction; the course row is locked so two scores arriving together
    evaluate once.
    """
    review_spec = course.protocol.parsed.early_review
    if review_spec is None:
        return None
    now = resolve_now(now)
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()
        existing = EarlyReview.objects.filter(course=course).first()
        if existing is not None:
            return existing
        review_session = (
            Session.objects.filter(course=course, number=review_spec.at_session, active=True)
            .values_list("start", "status")
            .first()
        )
        # Not before the review session is over: a score taken that morning is not yet the
        # "session 10" figure (charting/gates.py evaluates again at its completion).
        if review_session is None or review_session[1] != Session.Status.COMPLETED:
            return None
        zone = course.site.zone
        rows = list(
            ScaleAdministration.objects.filter(course=course, scale=review_spec.scale).order_by(
                "administered_at", "id"
            )
        )
        measures = scale_taken(rows, zone=zone, numbers=course_session_numbers(course=course))
        picked = review_measures(
            measures,
            baseline_at=baseline_index(measures, first_session=course_first_session(course=course)),
            at_session=review_spec.at_session,
            review_date=review_session[0].astimezone(zone).date(),
        )
        if picked is None:
            return None
        baseline_row = rows[next(i for i, m in enumerate(measures) if m is picked[0])]
        measured_row = rows[next(i for i, m in enumerate(measures) if m is picked[1])]
        finding = review_finding(
            baseline=picked[0].total,
            current=picked[1].total,
            min_improvement_percent=review_spec.min_improvement_percent,
        )
        percent = finding.improvement_percent
        return save_with_history(
            EarlyReview(
                course=course,
                site_id=course.site_id,
                patient_id=course.patient_id,
                scale=review_spec.scale,
                at_session=review_spec.at_session,
                baseline=baseline_row,
                measured=measured_row,
                baseline_total=finding.baseline,
                measured_total=finding.current,
                improvement_percent=None if percent is None else Decimal(str(percent)),
                threshold_percent=finding.threshold_percent,
                evidence=review_spec.evidence,
                citation=review_spec.source.citation[:300],
                url=review_spec.source.url[:300],
                status=(
                    EarlyReview.Status.OPEN
                    if finding.needs_review
                    else EarlyReview.Status.NOT_NEEDED
                ),
                raised_at=now,
            ),
            None,
        )


def early_review_decide(
    *,
    review: EarlyReview,
    decision: str,
    note: str,
    by: Any,
    now: dt.datetime | None = None,
) -> EarlyReview:
    """A clinician records the decision on an open review, with a note; who and when are kept.

    Nothing else changes: "change protocol or target" goes on to the booking flow, "stop" to
    discontinuing the course, "add sessions" to booking more, each by staff.
    """
    require_role(by, ROLE_CLINICIAN, action="decide early-improvement reviews")
    now = resolve_now(now)
    if decision not in DECISIONS:
        raise InvalidInput(
            f"decision: must be one of {', '.join(DECISIONS)}.", code=ERR_INVALID_DECISION
        )
    note = (note or "").strip()
    if not note:
        raise InvalidInput("note: say why (it goes on the course record).", code=ERR_NOTE_REQUIRED)
    with transaction.atomic():
        review = EarlyReview.objects.select_for_update().get(pk=review.pk)
        if review.status == EarlyReview.Status.DECIDED:
            raise Conflict("This review already has a decision.", code=ERR_ALREADY_DECIDED)
        if review.status == EarlyReview.Status.NOT_NEEDED:
            raise Conflict(
                "No review is needed: improvement reached the threshold.",
                code=ERR_REVIEW_NOT_NEEDED,
            )
        review.decision = decision
        review.note = note[:2000]
        review.decided_by = by
        review.decided_at = now
        review.status = EarlyReview.Status.DECIDED
        return save_with_history(review, by)
