"""What charting requires before a session may move on (screenings, observation sign-off),
and what it does after a session started or completed.

`ChartingGates` is registered with scheduling's lifecycle (scheduling/lifecycle_gates.py) in
`ChartingConfig.ready()`, so scheduling's session services run these checks without importing
charting. Each check raises a clinic.errors.Conflict (409) naming what is missing, or returns
None:

* check_in_allowed: the course screening (when the protocol has one) is complete and not
  blocked by an uncleared hard stop or unreviewed item. Checked at every check-in, so a course
  whose screen was never completed cannot slip through at session 2.
* start_allowed: the above, plus the per-session screening complete and not blocked.
* complete_allowed: the observation record (when the protocol has one) is signed.

Codes: course_screening_required, session_screening_required, screening_hard_stop,
screening_needs_review, observation_not_signed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User

from charting.early_review import early_review_evaluate
from charting.error_codes import (
    ERR_COURSE_SCREENING_REQUIRED,
    ERR_OBSERVATION_NOT_SIGNED,
    ERR_SCREENING_HARD_STOP,
    ERR_SCREENING_NEEDS_REVIEW,
    ERR_SESSION_SCREENING_REQUIRED,
)
from charting.models import ObservationRecord, ScreeningResponse
from charting.monitoring_forms import monitoring_form_queue
from charting.observations import observation_open
from clinic.errors import Conflict
from scheduling.models import Session


def _forms(session: Session) -> Any:
    return session.course.protocol.parsed.forms


def _check(screening: Any, what: str) -> None:
    if screening.status == "hard_stop":
        items = "; ".join(i["message"] for i in screening.hard_stops)
        raise Conflict(
            f"The {what} has a hard stop ({items}): a clinician must override it with a reason.",
            code=ERR_SCREENING_HARD_STOP,
            screening_id=screening.pk,
        )
    if screening.status == "needs_review":
        items = "; ".join(i["message"] for i in screening.review_items)
        raise Conflict(
            f"The {what} has items a clinician must review ({items}).",
            code=ERR_SCREENING_NEEDS_REVIEW,
            screening_id=screening.pk,
        )


def _course_screening(session: Session) -> None:
    slug = _forms(session).course_screening
    if slug is None:
        return
    screening = ScreeningResponse.objects.filter(
        course_id=session.course_id, level="course"
    ).first()
    if screening is None:
        raise Conflict(
            f"The course screening ({slug}) must be completed before the first session can be "
            "checked in.",
            code=ERR_COURSE_SCREENING_REQUIRED,
        )
    _check(screening, f"course screening ({slug})")


def check_in_allowed(session: Session) -> None:
    """Before check-in: the course-level screening must be complete and cleared."""
    _course_screening(session)


def start_allowed(session: Session) -> None:
    """Before start: the per-session screening must be complete with no uncleared hard stop."""
    _course_screening(session)
    slug = _forms(session).session_screening
    if slug is None:
        return
    screening = ScreeningResponse.objects.filter(session_id=session.pk, level="session").first()
    if screening is None:
        raise Conflict(
            f"The session screening ({slug}) must be completed before the session starts.",
            code=ERR_SESSION_SCREENING_REQUIRED,
        )
    _check(screening, f"session screening ({slug})")


def complete_allowed(session: Session) -> None:
    """Before completion: the observation record must be signed (when the protocol has one)."""
    slug = _forms(session).observation
    if slug is None:
        return
    record = ObservationRecord.objects.filter(session_id=session.pk).first()
    if record is None or record.status != ObservationRecord.Status.SIGNED:
        raise Conflict(
            f"The observation record ({slug}) must be signed before the session is completed.",
            code=ERR_OBSERVATION_NOT_SIGNED,
        )


class ChartingGates:
    """Charting's part of the session lifecycle (scheduling.lifecycle_gates.SessionGates)."""

    def before_check_in(self, session: Session) -> None:
        check_in_allowed(session)

    def before_start(self, session: Session) -> None:
        start_allowed(session)

    def before_complete(self, session: Session) -> None:
        complete_allowed(session)

    def observation_over(self, sessions: Sequence[Session]) -> set[int]:
        """Sessions whose observation record is signed (one query)."""
        return set(
            ObservationRecord.objects.filter(
                session_id__in=[s.pk for s in sessions], status=ObservationRecord.Status.SIGNED
            ).values_list("session_id", flat=True)
        )

    def after_start(self, session: Session, *, by: User | None, now: dt.datetime) -> None:
        """Open the observation record with its checkpoints."""
        observation_open(session=session, by=by, now=now)

    def after_complete(self, session: Session, *, by: User | None, now: dt.datetime) -> None:
        """Queue the esketamine REMS monitoring form (outpatient sessions); evaluate the
        early-improvement review once its session is completed (a score may be there already)."""
        monitoring_form_queue(session=session, by=by, now=now)
        early_review_evaluate(course=session.course, now=now)
