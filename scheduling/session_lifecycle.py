"""A session's day: check-in, start, observation, completion.

Each step checks the acting role and the session's status under a row lock, asks the
registered gates (scheduling/lifecycle_gates.py: charting's screenings and observation
sign-off) whether it may happen, and moves the course along (planned -> active on the first
check-in, -> completed when its last session is). `next_step` says which step a session
takes next, for the pages that offer it as a button; `STEPS` names each step's service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from clinic.clock import resolve_now
from clinic.errors import Conflict
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role
from scheduling.change_results import SessionChange
from scheduling.check_in_window import check_in_window
from scheduling.error_codes import ERR_NOT_SESSION_DAY, ERR_OUTSIDE_CHECK_IN_WINDOW
from scheduling.lifecycle_gates import observation_over, registered_session_gates
from scheduling.models import Course, Session
from scheduling.roles import CARE_ROLES, CHECK_IN_ROLES
from scheduling.selectors import session_for_reader
from scheduling.session_access import (
    course_moves_on,
    invalid_transition,
    lock_course,
    lock_session,
    save_status,
)

S = Session.Status

# The steps of a session's day, by the names the pages post (`/sessions/<id>/<step>/`).
CHECK_IN = "check_in"
START = "start"
OBSERVE = "observe"
COMPLETE = "complete"


def next_step(status: str, *, observed: bool, observation_over: bool) -> str | None:
    """The step a session in `status` takes next, or None when no step is left. Only a hint
    for the pages' one button: the step's service decides in the end (and says why not).

    `observed`: the session has an observation period; `observation_over`: its observation
    record is signed, so completing is the one step left (as `session_complete` allows)."""
    if status == S.SCHEDULED:
        return CHECK_IN
    if status == S.CHECKED_IN:
        return START
    if status == S.IN_PROGRESS:
        return OBSERVE if observed and not observation_over else COMPLETE
    if status == S.OBSERVING:
        return COMPLETE
    return None


def session_check_in(
    *,
    session_id: int,
    by: User,
    now: dt.datetime | None = None,
    override_reason: str = "",
) -> SessionChange:
    """Check the patient in, within the session's check-in window (scheduling/check_in_window.py)
    unless a clinician overrides it with a reason, which the session's history records."""
    now = resolve_now(now)
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *CHECK_IN_ROLES, action="check a patient in")
    override_reason = override_reason.strip()
    with transaction.atomic():
        course = lock_course(session.course_id)  # check-in may move the course to active
        lock_session(session)
        if session.status != S.SCHEDULED:
            raise invalid_transition(session, "checked in")
        zone = session.site.zone
        window = check_in_window(start=session.start, end=session.end, zone=zone)
        if not window.contains(now):
            if not override_reason:
                raise Conflict(
                    f"Check-in for this session is open {window.describe(zone)}. A clinician "
                    "may check the patient in outside it with an override reason.",
                    code=ERR_OUTSIDE_CHECK_IN_WINDOW,
                    opens=window.opens.isoformat(),
                    closes=window.closes.isoformat(),
                )
            require_role(by, ROLE_CLINICIAN, action="check a patient in outside the window")
            check_override_day(session, now)
            # The history column holds 100 characters; the API caps the reason at 80.
            session._change_reason = f"check-in override: {override_reason}"[:100]  # type: ignore[attr-defined]
        for gates in registered_session_gates():
            gates.before_check_in(session)
        session.status = S.CHECKED_IN
        session.checked_in_at = now
        save_status(session, by, ["checked_in_at"])
        course_moves_on(course, only_from=(Course.Status.PLANNED,), to=Course.Status.ACTIVE, by=by)
    return SessionChange(session)


def check_override_day(session: Session, now: dt.datetime) -> None:
    """A check-in override widens the window only on the session's own local day: checking in
    a session booked for another day would start that day's record today and leave its chair
    held on its own day's board. The session is rescheduled to today instead."""
    zone = session.site.zone
    day = session.start.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if day != today:
        raise Conflict(
            f"Session {session.number} is booked for {day:%a %d %b %Y}, not today "
            f"({today:%a %d %b %Y}); an override only widens the check-in window on the "
            "session's own day. Reschedule the session to today first, then check the "
            "patient in.",
            code=ERR_NOT_SESSION_DAY,
            session_day=day.isoformat(),
            reschedule=f"/api/v1/sessions/{session.pk}/reschedule",
        )


def session_start(*, session_id: int, by: User, now: dt.datetime | None = None) -> SessionChange:
    now = resolve_now(now)
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *CARE_ROLES, action="start a session")
    with transaction.atomic():
        lock_session(session)
        if session.status != S.CHECKED_IN:
            raise invalid_transition(session, "started", "Check the patient in first.")
        for gates in registered_session_gates():
            gates.before_start(session)
        session.status = S.IN_PROGRESS
        session.started_at = now
        save_status(session, by, ["started_at"])
        for gates in registered_session_gates():
            gates.after_start(session, by=by, now=now)
    return SessionChange(session)


def session_observe(*, session_id: int, by: User, now: dt.datetime | None = None) -> SessionChange:
    now = resolve_now(now)
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *CARE_ROLES, action="move a session to observation")
    spec = session.course.protocol.parsed
    with transaction.atomic():
        lock_session(session)
        if spec.timing.observation_minutes == 0:
            raise invalid_transition(
                session, "moved to observation", "This protocol has no observation period."
            )
        if session.status != S.IN_PROGRESS:
            raise invalid_transition(session, "moved to observation", "Start it first.")
        if observation_over([session]):
            raise invalid_transition(
                session,
                "moved to observation",
                "The observation record is already signed: complete the session.",
            )
        session.status = S.OBSERVING
        save_status(session, by, [])
    return SessionChange(session)


def session_complete(*, session_id: int, by: User, now: dt.datetime | None = None) -> SessionChange:
    now = resolve_now(now)
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *CARE_ROLES, action="complete a session")
    spec = session.course.protocol.parsed
    with transaction.atomic():
        course = lock_course(session.course_id)  # completion may complete the course
        lock_session(session)
        # With an observation period the patient must pass through observing (REMS: monitored
        # until discharge); without one, the procedure's end is the end. A signed observation
        # record says the observation is over: completing is then one action from in progress.
        allowed: tuple[str, ...] = (S.IN_PROGRESS,)
        if spec.timing.observation_minutes and not observation_over([session]):
            allowed = (S.OBSERVING,)
        elif spec.timing.observation_minutes:
            allowed = (S.IN_PROGRESS, S.OBSERVING)
        if session.status not in allowed:
            hint = "Move it to observation first." if session.status == S.IN_PROGRESS else ""
            raise invalid_transition(session, "completed", hint)
        for gates in registered_session_gates():
            gates.before_complete(session)
        session.status = S.COMPLETED
        session.completed_at = now
        save_status(session, by, ["completed_at"])
        remaining = (
            Session.objects.filter(course_id=session.course_id, active=True)
            .exclude(status=S.COMPLETED)
            .exists()
        )
        if not remaining:
            # A discontinued course stays discontinued when its last session is finished.
            course_moves_on(
                course,
                only_from=(Course.Status.PLANNED, Course.Status.ACTIVE),
                to=Course.Status.COMPLETED,
                by=by,
            )
        for gates in registered_session_gates():
            gates.after_complete(session, by=by, now=now)
    return SessionChange(session)


@dataclass(frozen=True)
class Step:
    service: Callable[..., SessionChange]
    # The roles the service requires (it checks them itself); a page hides the button without.
    roles: tuple[str, ...]


STEPS: dict[str, Step] = {
    CHECK_IN: Step(session_check_in, CHECK_IN_ROLES),
    START: Step(session_start, CARE_ROLES),
    OBSERVE: Step(session_observe, CARE_ROLES),
    COMPLETE: Step(session_complete, CARE_ROLES),
}
