"""Locking a session for a change (loaded first with scheduling/selectors.py
`session_for_reader`), and the error for a step its status forbids.

Every service that locks a course and one of its sessions takes the course row first (as
course_discontinue does): two orders would let a check-in and a cancellation of one session
deadlock each other on PostgreSQL.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from clinic.errors import Conflict, DomainError
from clinic.history import save_with_history
from scheduling.error_codes import ERR_INVALID_TRANSITION
from scheduling.models import Course, Session


def lock_course(course_id: int) -> Course:
    """Lock the course row and return it (before any of its sessions: see the module doc)."""
    return Course.objects.select_for_update().get(pk=course_id)


def lock_session(session: Session) -> Session:
    """Re-read the session under a row lock (PostgreSQL): two nurses pressing "start" at once,
    or a reschedule racing a check-in, must not both act on the same status."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    session.status, session.sequence = locked.status, locked.sequence
    session.start, session.end, session.observation_end = (
        locked.start,
        locked.end,
        locked.observation_end,
    )
    return session


def invalid_transition(session: Session, action: str, hint: str = "") -> DomainError:
    return Conflict(
        f"Session {session.number} is {session.get_status_display().lower()}; "
        f"it cannot be {action}.{(' ' + hint) if hint else ''}",
        code=ERR_INVALID_TRANSITION,
        status=session.status,
    )


def save_status(session: Session, by: User | None, fields: list[str]) -> None:
    """Save a status step: the sequence rises (calendar feeds see the change), history kept."""
    session.sequence += 1
    save_with_history(
        session, by, update_fields=[*fields, "status", "active", "sequence", "updated_at"]
    )


def course_moves_on(course: Course, *, only_from: tuple[str, ...], to: str, by: User) -> None:
    """Advance a locked course's status (planned -> active -> completed) with a history row."""
    if course.status in only_from:
        course.status = to
        save_with_history(course, by, update_fields=["status", "updated_at"])
