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
from django.db.models import F

from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.permissions import require_role
from protocols.engine import PlannedSession, PlanningError, ResumePoint, plan_course
from protocols.spec import MakeupPlace, MissedSession
from scheduling.availability import local_day_bounds
from scheduling.booking_change import (
    BookingChange,
    BookingRace,
    booking_transaction,
    load_site_calendar,
)
from scheduling.change_results import ChangePreview, Moved, SessionChange
from scheduling.error_codes import (
    ERR_INVALID_TRANSITION,
    ERR_NO_SHOW_TOO_EARLY,
    ERR_REASON_REQUIRED,
)
from scheduling.models import Course, ResourceHold, Session
from scheduling.observation_holds import observation_holds_refollow
from scheduling.placement import Placement, Slot, WindowExceeded, place_course
from scheduling.roles import BOOKERS
from scheduling.selectors import session_for_reader
from scheduling.session_access import (
    invalid_transition,
    lock_course,
    lock_session,
    save_status,
)
from scheduling.session_reschedule import SEARCH_DAYS

S = Session.Status
# Renumbering moves numbers out of the way first (see _shift_later).
RENUMBER_OFFSET = 100_000


def session_cancel(
    *,
    session_id: int,
    reason: str,
    by: User,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    make_up: bool | None = None,
) -> SessionChange:
    """Cancel a session (reason required). `make_up`: add a make-up session at the end of the
    course (True) or not (False); None follows the protocol's rule (`missed_session_rule`).
    `dry_run`: the same change, rolled back, to show what it would do (the staff page)."""
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for the cancellation.", code=ERR_REASON_REQUIRED)
    return _drop(
        session_id=session_id,
        status=S.CANCELLED,
        reason=reason.strip(),
        by=by,
        now=now,
        dry_run=dry_run,
        make_up=make_up,
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


def no_show_opens_at(session: Session) -> dt.datetime:
    """The first instant `session` may be marked a no-show: its start plus the site's grace
    minutes (`Site.no_show_grace_minutes`). A session still ahead is not missed: marking it
    would free its chair and append a make-up for a visit that may yet happen."""
    return session.start + dt.timedelta(minutes=session.site.no_show_grace_minutes)


def missed_session_rule(course: Course) -> str:
    """The protocol's missed-session rule in words, for the cancel form's default."""
    name = course.protocol.name
    if missed_session_adds_makeup(course):
        return f"{name} protocol: a missed session is made up at the end of the course."
    return f"{name} protocol: a missed session is not made up; the course goes on as booked."


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
    session = session_for_reader(user=by, session_id=session_id)
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
        makeup_book(session, change, by=by, now=now)
    return change


def _drop(
    *,
    session_id: int,
    status: str,
    reason: str,
    by: User,
    now: dt.datetime | None,
    dry_run: bool = False,
    make_up: bool | None = True,
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
    make_up: bool | None = True,
) -> SessionChange:
    now = resolve_now(now)
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *BOOKERS, action="cancel or mark a no-show")
    action = "cancelled" if status == S.CANCELLED else "marked a no-show"
    with transaction.atomic():
        # The course row first: a make-up must not be added to a course that is being, or has
        # been, stopped.
        course_status = lock_course(session.course_id).status
        lock_session(session)
        if session.status not in (S.SCHEDULED, S.CHECKED_IN):
            raise invalid_transition(session, action)
        if status == S.NO_SHOW and now < no_show_opens_at(session):
            zone = session.site.zone
            opens = no_show_opens_at(session).astimezone(zone)
            starts = session.start.astimezone(zone)
            raise Conflict(
                f"Session {session.number} starts {starts:%a %d %b %Y %H:%M}; it can be marked "
                f"a no-show from {opens:%a %d %b %Y %H:%M} ({zone.key}). To move it, "
                "reschedule or cancel it.",
                code=ERR_NO_SHOW_TOO_EARLY,
                opens=opens.astimezone(dt.UTC).isoformat(),
            )
        session.status = status
        session.status_reason = reason
        save_status(session, by, ["status_reason"])
        freed = list(
            ResourceHold.objects.filter(session=session, active=True).values_list(
                "start", flat=True
            )
        )
        ResourceHold.objects.filter(session=session).update(active=False)
        # A hold that stopped at this booking (a late dose) runs on into the freed time.
        observation_holds_refollow(site_id=session.site_id, freed_at=freed, by=by)
        change = SessionChange(session)
        # make_up=False: no make-up (staff chose so, or the nightly job offers it instead:
        # scheduling/no_shows.py); True for a no-show: the protocol's rule; None: the rule.
        if status == S.CANCELLED and make_up is not None:
            wanted = make_up
        else:
            wanted = make_up is not False and missed_session_adds_makeup(session.course)
        if wanted:
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
            makeup_book(missed, change, by=by, now=now)
    except BookingRace:
        change.moved = [m for m in change.moved if not m.added]
        change.notes.append(
            "No make-up session was added: its time was just taken by another booking; book "
            "one by hand."
        )


def makeup_book(missed: Session, change: SessionChange, *, by: User, now: dt.datetime) -> None:
    """Book the make-up for `missed` where the protocol's `makeup_place` says: at the end of
    the missed session's phase (the later phases' sessions shift after it and are renumbered,
    so a taper stays last), or after the course's last session.

    Example (standard TMS, 30 acute then a 3-2-1 taper): session 3 missed; the make-up is
    planned after acute session 30 as session 31, and the six taper sessions move after it
    (their numbers become 32-37), keeping the taper's weekly quotas and gaps.
    """
    course = missed.course
    spec = course.protocol.parsed
    site = missed.site
    zone = site.zone
    rows = list(Session.objects.select_for_update().filter(course=course).order_by("number"))
    later = [r for r in rows if r.active and r.phase_index > missed.phase_index]
    if later and spec.makeup_place is not MakeupPlace.END_OF_PHASE:
        later = []
    if later and any(r.status != S.SCHEDULED or r.start < now for r in later):
        change.notes.append(
            "The later phases have begun, so the make-up goes after the course's last session."
        )
        later = []
    kept = [r for r in rows if r not in later]
    active_starts = [r.start for r in kept if r.active]
    # After the last kept session and after the missed one itself: a make-up never lands
    # in the slot the patient just missed.
    last_start = max([*active_starts, missed.start])
    last_day = last_start.astimezone(zone).date()
    week = last_day.toordinal() - last_day.weekday()
    week_count = len(
        {
            d
            for d in (r.start.astimezone(zone).date() for r in kept if r.active)
            if d.toordinal() - d.weekday() == week
        }
    )
    phase = spec.phases[missed.phase_index]
    phases = [phase.model_copy(update={"sessions": 1, "weeks": None})]
    # The later phases, each as long as its sessions still booked: re-planned after the make-up.
    for index in sorted({r.phase_index for r in later}):
        count = sum(r.phase_index == index for r in later)
        phases.append(spec.phases[index].model_copy(update={"sessions": count, "weeks": None}))
    plan_spec = spec.model_copy(update={"phases": phases, "outcomes": []})
    start = max(now.astimezone(zone).date(), last_day)
    calendar = load_site_calendar(site, start)

    def planner(day: dt.date, resume: ResumePoint | None) -> list[PlannedSession]:
        return plan_course(plan_spec, day, course.preferred_time, calendar, resume=resume)

    lo = local_day_bounds(start, zone)[0] - dt.timedelta(days=1)
    booking = BookingChange.load(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=missed.patient_id,
        window=(lo, lo + dt.timedelta(days=SEARCH_DAYS + 30)),
        now=now,
    )
    # The later sessions are moving: their own holds and times are not in the way.
    booking.placer.ignore = {r.pk for r in later}
    number = later[0].number if later else max(r.number for r in rows) + 1
    resume = ResumePoint(
        phase_index=0, done_in_phase=0, last_day=last_day, number=number - 1, week_count=week_count
    )
    try:
        result = place_course(
            planner=planner,
            placer=booking.placer,
            phases=plan_spec.phases,
            start=start,
            resume=resume,
        )
    except (PlanningError, WindowExceeded) as exc:
        change.notes.append(f"No make-up session was added: {exc}")
        return
    if result.unplaced or len(result.placements) != 1 + len(later):
        why = result.unplaced[0].reason if result.unplaced else "nothing to place"
        change.notes.append(f"No make-up session was added: {why}")
        return
    p, *shifted = result.placements
    if later:
        _shift_later(course, later, shifted, number, booking, change, by=by, now=now)
    added = Session(
        course=course,
        patient_id=missed.patient_id,
        site=site,
        phase=phase.name,
        phase_index=missed.phase_index,
        number=number,
        start=p.start,
        end=p.end,
        observation_end=p.observation_end,
        status=S.SCHEDULED,
        sequence=0,
        status_reason=f"make-up for session {missed.number}",
    )
    booking.add_session(added, p, by=by)
    change.moved.append(Moved(added, None, added=True))


def _shift_later(
    course: Course,
    later: list[Session],
    placements: list[Placement],
    number: int,
    booking: BookingChange,
    change: SessionChange,
    *,
    by: User,
    now: dt.datetime,
) -> None:
    """Renumber the course's sessions from `number` up by one (the make-up takes `number`) and
    move the later phases' sessions to their re-planned slots."""
    # Two statements: PostgreSQL checks the unique (course, number) row by row, so an
    # in-place +1 would collide with the next row.
    shift = Session.objects.filter(course=course, number__gte=number)
    shift.update(number=F("number") + RENUMBER_OFFSET)
    shift = Session.objects.filter(course=course, number__gte=number + RENUMBER_OFFSET)
    shift.update(number=F("number") - RENUMBER_OFFSET + 1)
    for s in later:
        s.number += 1
    moves = [
        (s, Slot(p.start, p.end, p.observation_end, p.holds))
        for s, p in zip(later, placements, strict=True)
    ]
    change.moved.extend(booking.move_sessions(moves, by=by, now=now))
