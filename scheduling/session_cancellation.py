"""Cancelling a session or marking a no-show, and what the protocol says then happens to the
rest of the course (`ProtocolSpec.missed_session`, protocols/spec.py):

* append_makeup (TMS): a make-up session is added at the end of the course;
* keep_spacing (ECT) and continue (esketamine): the course goes on as booked; staff reschedule
  where they want, and a reschedule pushes later sessions to keep the spacing rules.

A dropped session is marked, never deleted: its holds stay as a record but free the resource.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.permissions import require_role
from protocols.engine import PlannedSession, PlanningError, ResumePoint, plan_course
from protocols.spec import MissedSession
from scheduling.availability import local_day_bounds
from scheduling.booking_change import (
    BookingChange,
    BookingRace,
    booking_transaction,
    load_site_calendar,
)
from scheduling.change_results import ChangePreview, Moved, SessionChange
from scheduling.error_codes import ERR_INVALID_TRANSITION
from scheduling.models import Course, ResourceHold, Session
from scheduling.placement import WindowExceeded, place_course
from scheduling.roles import BOOKERS
from scheduling.session_access import (
    invalid_transition,
    lock_course,
    lock_session,
    save_status,
    session_for_change,
)
from scheduling.session_reschedule import SEARCH_DAYS

S = Session.Status


def session_cancel(
    *,
    session_id: int,
    reason: str,
    by: User,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> SessionChange:
    """Cancel a session (reason required); the protocol's missed-session rule then applies.
    `dry_run`: the same change, rolled back, to show what it would do (the staff page)."""
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for the cancellation.", code="reason_required")
    return _drop(
        session_id=session_id,
        status=S.CANCELLED,
        reason=reason.strip(),
        by=by,
        now=now,
        dry_run=dry_run,
    )


def session_no_show(
    *,
    session_id: int,
    by: User,
    reason: str = "",
    dry_run: bool = False,
    now: dt.datetime | None = None,
    make_up: bool = True,
) -> SessionChange:
    """Mark a no-show; the protocol's missed-session rule then applies, unless
    `make_up=False` (the nightly job, which offers the make-up to staff instead:
    scheduling/no_shows.py)."""
    return _drop(
        session_id=session_id,
        status=S.NO_SHOW,
        reason=reason.strip(),
        by=by,
        now=now,
        dry_run=dry_run,
        make_up=make_up,
    )


def missed_session_adds_makeup(course: Course) -> bool:
    """Whether the course's protocol adds a make-up session for a missed one (TMS,
    CLINICAL.md section 1 "Missed sessions"); the others keep their schedule."""
    return course.protocol.parsed.missed_session is MissedSession.APPEND_MAKEUP


def session_makeup_add(
    *, session_id: int, by: User, now: dt.datetime | None = None
) -> SessionChange:
    """Add the make-up session for a missed or cancelled session at the end of its course:
    what a no-show at the desk does at once, and what accepting the nightly job's re-planning
    offer does later. A booking that took the make-up's slot meanwhile is a 409 `slot_taken`."""
    now = resolve_now(now)
    session = session_for_change(session_id, by)
    require_role(by, *BOOKERS, action="add a make-up session")
    with booking_transaction():
        course_status = lock_course(session.course_id).status
        lock_session(session)
        if session.status not in (S.NO_SHOW, S.CANCELLED):
            raise invalid_transition(session, "made up", "Only a missed session is made up.")
        if course_status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
            raise Conflict(
                f"The course is {course_status}; no make-up session can be added.",
                code=ERR_INVALID_TRANSITION,
            )
        change = SessionChange(session)
        _append_makeup(session, change, by=by, now=now)
    return change


def _drop(
    *,
    session_id: int,
    status: str,
    reason: str,
    by: User,
    now: dt.datetime | None,
    dry_run: bool = False,
    make_up: bool = True,
) -> SessionChange:
    try:
        with transaction.atomic():
            change = _drop_now(
                session_id=session_id,
                status=status,
                reason=reason,
                by=by,
                now=now,
                make_up=make_up,
            )
            if dry_run:
                raise ChangePreview(change)
    except ChangePreview as preview:
        return preview.change
    return change


def _drop_now(
    *,
    session_id: int,
    status: str,
    reason: str,
    by: User,
    now: dt.datetime | None,
    make_up: bool = True,
) -> SessionChange:
    now = resolve_now(now)
    session = session_for_change(session_id, by)
    require_role(by, *BOOKERS, action="cancel or mark a no-show")
    action = "cancelled" if status == S.CANCELLED else "marked a no-show"
    with transaction.atomic():
        # The course row first: a make-up must not be added to a course that is being, or has
        # been, stopped.
        course_status = lock_course(session.course_id).status
        lock_session(session)
        if session.status not in (S.SCHEDULED, S.CHECKED_IN):
            raise invalid_transition(session, action)
        session.status = status
        session.status_reason = reason
        save_status(session, by, ["status_reason"])
        ResourceHold.objects.filter(session=session).update(active=False)
        change = SessionChange(session)
        # make_up=False: the caller offers the make-up to staff instead (scheduling/no_shows.py).
        if make_up and missed_session_adds_makeup(session.course):
            apply_missed_session_rule(session, change, course_status=course_status, by=by, now=now)
    return change


def apply_missed_session_rule(
    missed: Session, change: SessionChange, *, course_status: str, by: User, now: dt.datetime
) -> None:
    if course_status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
        change.notes.append(f"No make-up session was added: the course is {course_status}.")
        return
    # docs/clinical.md section 1 "Missed sessions": add the session at the end of the course. In a
    # savepoint: if another booking took the make-up's slot a moment ago (PostgreSQL
    # constraint), the cancellation stands and the note says so.
    try:
        with transaction.atomic():
            _append_makeup(missed, change, by=by, now=now)
    except BookingRace:
        change.moved = [m for m in change.moved if not m.added]
        change.notes.append(
            "No make-up session was added: its time was just taken by another booking; book "
            "one by hand."
        )


def _append_makeup(missed: Session, change: SessionChange, *, by: User, now: dt.datetime) -> None:
    course = missed.course
    spec = course.protocol.parsed
    site = missed.site
    zone = site.zone
    rows = list(
        Session.objects.filter(course=course).values_list(
            "number", "start", "phase_index", "active"
        )
    )
    max_number = max(r[0] for r in rows)
    active_starts = [r[1] for r in rows if r[3]]
    # After the last active session and after the missed one itself: a make-up never lands
    # in the slot the patient just missed.
    last_start = max([*active_starts, missed.start])
    last_day = last_start.astimezone(zone).date()
    week = last_day.toordinal() - last_day.weekday()
    week_count = len(
        {
            d
            for d in (r[1].astimezone(zone).date() for r in rows if r[3])
            if d.toordinal() - d.weekday() == week
        }
    )
    phase = spec.phases[missed.phase_index]
    one = phase.model_copy(update={"sessions": 1, "weeks": None})
    one_spec = spec.model_copy(update={"phases": [one], "outcomes": []})
    start = max(now.astimezone(zone).date(), last_day)
    calendar = load_site_calendar(site, start)

    def planner(day: dt.date, resume: ResumePoint | None) -> list[PlannedSession]:
        return plan_course(one_spec, day, course.preferred_time, calendar, resume=resume)

    lo = local_day_bounds(start, zone)[0] - dt.timedelta(days=1)
    booking = BookingChange.load(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=missed.patient_id,
        window=(lo, lo + dt.timedelta(days=SEARCH_DAYS + 30)),
        now=now,
    )
    resume = ResumePoint(
        phase_index=0, done_in_phase=0, last_day=last_day, number=max_number, week_count=week_count
    )
    try:
        result = place_course(
            planner=planner,
            placer=booking.placer,
            phases=one_spec.phases,
            start=start,
            resume=resume,
        )
    except (PlanningError, WindowExceeded) as exc:
        change.notes.append(f"No make-up session was added: {exc}")
        return
    if result.unplaced or not result.placements:
        why = result.unplaced[0].reason if result.unplaced else "nothing to place"
        change.notes.append(f"No make-up session was added: {why}")
        return
    p = result.placements[0]
    added = Session(
        course=course,
        patient_id=missed.patient_id,
        site=site,
        phase=phase.name,
        phase_index=missed.phase_index,
        number=p.number,
        start=p.start,
        end=p.end,
        observation_end=p.observation_end,
        status=S.SCHEDULED,
        sequence=0,
        status_reason=f"make-up for session {missed.number}",
    )
    booking.add_session(added, p, by=by)
    change.moved.append(Moved(added, None, added=True))
