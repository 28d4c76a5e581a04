"""What charting requires before a session may move on (screenings, observation sign-off).

Scheduling calls these from its session transition services. Each check raises a
clinic.errors.Conflict (409) naming what is missing, or returns None:

* check_in_allowed: the course screening (when the protocol has one) is complete and not
  blocked by an uncleared hard stop or unreviewed item. Checked at every check-in, so a course
  whose screen was never completed cannot slip through at session 2.
* start_allowed: the above, plus the per-session screening complete and not blocked.
* complete_allowed: the observation record (when the protocol has one) is signed.

Codes: course_screening_required, session_screening_required, screening_hard_stop,
screening_needs_review, observation_not_signed.
"""

from __future__ import annotations

from typing import Any

from clinic.errors import Conflict


def _forms(session: Any) -> Any:
    return session.course.protocol.parsed.forms


def _check(screening: Any, what: str) -> None:
    if screening.status == "hard_stop":
        items = "; ".join(i["message"] for i in screening.hard_stops)
        raise Conflict(
            f"The {what} has a hard stop ({items}): a clinician must override it with a reason.",
            code="screening_hard_stop",
            screening_id=screening.pk,
        )
    if screening.status == "needs_review":
        items = "; ".join(i["message"] for i in screening.review_items)
        raise Conflict(
            f"The {what} has items a clinician must review ({items}).",
            code="screening_needs_review",
            screening_id=screening.pk,
        )


def _course_screening(session: Any) -> None:
    from charting.models import ScreeningResponse

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
            code="course_screening_required",
        )
    _check(screening, f"course screening ({slug})")


def check_in_allowed(session: Any) -> None:
    """Before check-in: the course-level screening must be complete and cleared."""
    _course_screening(session)


def start_allowed(session: Any) -> None:
    """Before start: the per-session screening must be complete with no uncleared hard stop."""
    from charting.models import ScreeningResponse

    _course_screening(session)
    slug = _forms(session).session_screening
    if slug is None:
        return
    screening = ScreeningResponse.objects.filter(session_id=session.pk, level="session").first()
    if screening is None:
        raise Conflict(
            f"The session screening ({slug}) must be completed before the session starts.",
            code="session_screening_required",
        )
    _check(screening, f"session screening ({slug})")


def complete_allowed(session: Any) -> None:
    """Before completion: the observation record must be signed (when the protocol has one)."""
    from charting.models import ObservationRecord

    slug = _forms(session).observation
    if slug is None:
        return
    record = ObservationRecord.objects.filter(session_id=session.pk).first()
    if record is None or record.status != ObservationRecord.Status.SIGNED:
        raise Conflict(
            f"The observation record ({slug}) must be signed before the session is completed.",
            code="observation_not_signed",
        )


def on_session_started(session: Any, *, by: Any, now: Any) -> None:
    """After start: open the observation record with its checkpoints."""
    from charting.services import observation_open

    observation_open(session=session, by=by, now=now)


def on_session_completed(session: Any, *, by: Any, now: Any) -> None:
    """After completion: queue the esketamine REMS monitoring form (outpatient sessions)."""
    from charting.services import monitoring_form_queue

    monitoring_form_queue(session=session, by=by, now=now)
