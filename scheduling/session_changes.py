"""Changing one session: the day's status steps (check-in, start, observation, completion),
cancellation and no-show (with a TMS make-up at the end of the course), and rescheduling,
which pushes later sessions of the course while the protocol's spacing rules would break.
Each change locks the course row, then the session rows, in that order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction

from clinic.errors import Conflict, DomainError, InvalidInput, NotFound
from clinic.permissions import require_role
from protocols.calendar import SiteCalendar
from protocols.engine import PlanningError, ResumePoint, plan_course
from protocols.spec import Modality
from scheduling.availability import local_day_bounds
from scheduling.booking import (
    Booked,
    Placement,
    WindowExceeded,
    local_instant,
    place_course,
    replace_booked,
    spacing_problem,
    week_days,
)
from scheduling.models import Course, ResourceHold, Session
from scheduling.placing import _hold_objects, _is_booking_race, _load_placer, _Race
from scheduling.service_support import (
    BOOKERS,
    CARE_ROLES,
    CHECK_IN_ROLES,
    ERR_INVALID_TRANSITION,
    ERR_PROTOCOL_RULE,
    ERR_SLOT_TAKEN,
    ERR_UNPLACEABLE,
    SEARCH_DAYS,
    Moved,
    S,
    SessionChange,
    _aware,
    _calendar,
    _label,
    _minutes,
    _now,
    _visible,
)


def _session_for(session_id: int, by: Any) -> Session:
    session = (
        Session.objects.select_related("course__protocol", "site").filter(pk=session_id).first()
    )
    if session is None or not _visible(by, session.site_id):
        raise NotFound(f"No session {session_id}.", code="session_not_found")
    return session


def _lock_course(course_id: int) -> Course:
    """Lock the course row and return it. Every service that locks a course and one of its
    sessions takes the course first (as course_discontinue does): two orders would let a
    check-in and a cancellation of one session deadlock each other on PostgreSQL."""
    return Course.objects.select_for_update().get(pk=course_id)


def _course_moves_on(course: Course, *, only_from: tuple[str, ...], to: str, by: Any) -> None:
    """Advance a locked course's status (planned -> active -> completed) with a history row."""
    if course.status in only_from:
        course.status = to
        course._history_user = by
        course.save(update_fields=["status", "updated_at"])


def _lock(session: Session) -> Session:
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


def _bad_transition(session: Session, action: str, hint: str = "") -> DomainError:
    return Conflict(
        f"Session {session.number} is {session.get_status_display().lower()}; "
        f"it cannot be {action}.{(' ' + hint) if hint else ''}",
        code=ERR_INVALID_TRANSITION,
        status=session.status,
    )


def _save_status(session: Session, by: Any, fields: list[str]) -> None:
    session.sequence += 1
    session._history_user = by
    session.save(update_fields=[*fields, "status", "active", "sequence", "updated_at"])


def session_check_in(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    from charting import gates

    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CHECK_IN_ROLES, action="check a patient in")
    with transaction.atomic():
        course = _lock_course(session.course_id)  # check-in may move the course to active
        _lock(session)
        if session.status != S.SCHEDULED:
            raise _bad_transition(session, "checked in")
        gates.check_in_allowed(session)
        session.status = S.CHECKED_IN
        session.checked_in_at = now
        _save_status(session, by, ["checked_in_at"])
        _course_moves_on(course, only_from=(Course.Status.PLANNED,), to=Course.Status.ACTIVE, by=by)
    return SessionChange(session)


def session_start(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    from charting import gates

    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CARE_ROLES, action="start a session")
    with transaction.atomic():
        _lock(session)
        if session.status != S.CHECKED_IN:
            raise _bad_transition(session, "started", "Check the patient in first.")
        gates.start_allowed(session)
        session.status = S.IN_PROGRESS
        session.started_at = now
        _save_status(session, by, ["started_at"])
        gates.on_session_started(session, by=by, now=now)
    return SessionChange(session)


def session_observe(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CARE_ROLES, action="move a session to observation")
    spec = session.course.protocol.parsed
    with transaction.atomic():
        _lock(session)
        if spec.timing.observation_minutes == 0:
            raise _bad_transition(
                session, "moved to observation", "This protocol has no observation period."
            )
        if session.status != S.IN_PROGRESS:
            raise _bad_transition(session, "moved to observation", "Start it first.")
        session.status = S.OBSERVING
        _save_status(session, by, [])
    return SessionChange(session)


def session_complete(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    from charting import gates

    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CARE_ROLES, action="complete a session")
    spec = session.course.protocol.parsed
    with transaction.atomic():
        course = _lock_course(session.course_id)  # completion may complete the course
        _lock(session)
        # With an observation period the patient must pass through observing (REMS: monitored
        # until discharge); without one, the procedure's end is the end.
        allowed = (S.OBSERVING,) if spec.timing.observation_minutes else (S.IN_PROGRESS,)
        if session.status not in allowed:
            hint = "Move it to observation first." if session.status == S.IN_PROGRESS else ""
            raise _bad_transition(session, "completed", hint)
        gates.complete_allowed(session)
        session.status = S.COMPLETED
        session.completed_at = now
        _save_status(session, by, ["completed_at"])
        remaining = (
            Session.objects.filter(course_id=session.course_id, active=True)
            .exclude(status=S.COMPLETED)
            .exists()
        )
        if not remaining:
            # A discontinued course stays discontinued when its last session is finished.
            _course_moves_on(
                course,
                only_from=(Course.Status.PLANNED, Course.Status.ACTIVE),
                to=Course.Status.COMPLETED,
                by=by,
            )
        gates.on_session_completed(session, by=by, now=now)
    return SessionChange(session)


def session_cancel(
    *, session_id: int, reason: str, by: Any, now: dt.datetime | None = None
) -> SessionChange:
    """Cancel a session (reason required). A cancelled TMS session is made up at the end."""
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for the cancellation.", code="reason_required")
    return _drop(session_id=session_id, status=S.CANCELLED, reason=reason.strip(), by=by, now=now)


def session_no_show(
    *,
    session_id: int,
    by: Any,
    reason: str = "",
    now: dt.datetime | None = None,
    make_up: bool = True,
) -> SessionChange:
    """Mark a no-show. A missed TMS session is made up at the end of the course, unless
    `make_up=False` (the nightly job, which offers the make-up to staff instead)."""
    return _drop(
        session_id=session_id,
        status=S.NO_SHOW,
        reason=reason.strip(),
        by=by,
        now=now,
        make_up=make_up,
    )


def missed_session_adds_makeup(course: Course) -> bool:
    """The protocol's missed-session rule: a missed TMS session is added at the end of the
    course (CLINICAL.md §1 "Missed sessions"); other modalities continue their schedule."""
    return course.modality == Modality.TMS


def session_makeup_add(
    *, session_id: int, by: Any, now: dt.datetime | None = None
) -> SessionChange:
    """Add the make-up session for a missed or cancelled session at the end of its course
    (what `session_no_show` does at once; the nightly job's offers call this on acceptance)."""
    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *BOOKERS, action="add a make-up session")
    with transaction.atomic():
        course_status = _lock_course(session.course_id).status
        _lock(session)
        if session.status not in (S.NO_SHOW, S.CANCELLED):
            raise _bad_transition(session, "made up", "Only a missed session is made up.")
        if course_status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
            raise Conflict(
                f"The course is {course_status}; no make-up session can be added.",
                code=ERR_INVALID_TRANSITION,
            )
        change = SessionChange(session)
        try:
            with transaction.atomic():
                _append_makeup(session, change, by=by, now=now)
        except (IntegrityError, OperationalError) as exc:
            if not _is_booking_race(exc):
                raise
            raise Conflict(
                "The make-up's time was just taken by another booking; try again.",
                code=ERR_SLOT_TAKEN,
            ) from None
    return change


def _drop(
    *,
    session_id: int,
    status: str,
    reason: str,
    by: Any,
    now: dt.datetime | None,
    make_up: bool = True,
) -> SessionChange:
    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *BOOKERS, action="cancel or mark a no-show")
    action = "cancelled" if status == S.CANCELLED else "marked a no-show"
    with transaction.atomic():
        # The course row first: a make-up must not be added to a course that is being, or has
        # been, stopped.
        course_status = _lock_course(session.course_id).status
        _lock(session)
        if session.status not in (S.SCHEDULED, S.CHECKED_IN):
            raise _bad_transition(session, action)
        session.status = status
        session.status_reason = reason
        _save_status(session, by, ["status_reason"])
        # Marked, never deleted: the holds stay as a record but free the resource.
        ResourceHold.objects.filter(session=session).update(active=False)
        change = SessionChange(session)
        if not make_up:
            pass  # the caller offers the re-planning to staff instead (scheduling/no_shows.py)
        elif missed_session_adds_makeup(session.course):
            if course_status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
                change.notes.append(f"No make-up session was added: the course is {course_status}.")
            else:
                # CLINICAL.md §1 "Missed sessions": add the session at the end of the course.
                # In a savepoint: if another booking took the make-up's slot a moment ago
                # (PostgreSQL constraint), the cancellation stands and the note says so.
                try:
                    with transaction.atomic():
                        _append_makeup(session, change, by=by, now=now)
                except (IntegrityError, OperationalError) as exc:
                    if not _is_booking_race(exc):
                        raise
                    change.moved = [m for m in change.moved if not m.added]
                    change.notes.append(
                        "No make-up session was added: its time was just taken by another "
                        "booking; book one by hand."
                    )
    return change


def _append_makeup(missed: Session, change: SessionChange, *, by: Any, now: dt.datetime) -> None:
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
    today = now.astimezone(zone).date()
    start = max(today, last_day)
    calendar = _calendar(site, start)

    def planner(day: dt.date, resume: ResumePoint | None):
        return plan_course(one_spec, day, course.preferred_time, calendar, resume=resume)

    lo = local_day_bounds(start, zone)[0] - dt.timedelta(days=1)
    hi = lo + dt.timedelta(days=SEARCH_DAYS + 30)
    loaded = _load_placer(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=missed.patient_id,
        window=(lo, hi),
        now=now,
    )
    placer, resources = loaded.placer, loaded.resources
    resume = ResumePoint(
        phase_index=0, done_in_phase=0, last_day=last_day, number=max_number, week_count=week_count
    )
    try:
        result = place_course(
            planner=planner, placer=placer, phases=one_spec.phases, start=start, resume=resume
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
    added._history_user = by
    added.save()
    holds = _hold_objects([p], [added], {r.id: r for r in resources})
    ResourceHold.objects.bulk_create(holds)
    change.moved.append(Moved(added, None, added=True))


def _booked(session: Session, zone: Any) -> Booked:
    return Booked(
        key=session.pk,
        number=session.number,
        phase_index=session.phase_index,
        start=session.start,
        day=session.start.astimezone(zone).date(),
        movable=session.status == S.SCHEDULED,
    )


def session_reschedule(
    *,
    session_id: int,
    by: Any,
    to: dt.datetime | None = None,
    next_valid: bool = False,
    now: dt.datetime | None = None,
) -> SessionChange:
    """Move a scheduled session to `to` (aware) or to the next valid day (`next_valid`).

    The protocol's rules hold: the move must keep spacing/quota/weekday rules with the session
    before it; later sessions that would then break their spacing are pushed (ECT's >=1 day
    gap, esketamine's twice-weekly cadence, one TMS session a day), each to the first day that
    keeps the rules, at its usual time or the nearest free one. Every moved session is listed.
    """
    now = _now(now)
    if (to is None) == (not next_valid):
        raise InvalidInput("Give either `to` or `next_valid: true`.", code="invalid")
    if to is not None:
        _aware(to, "to")
    session = _session_for(session_id, by)
    require_role(by, *BOOKERS, action="reschedule a session")
    try:
        with transaction.atomic():
            change = _move(session, to=to, by=by, now=now)
    except _Race as race:
        race.to_conflict()
    return change


def _move(
    session: Session,
    *,
    to: dt.datetime | None,
    by: Any,
    now: dt.datetime,
    extra_closed: dict[dt.date, str] | None = None,
) -> SessionChange:
    course = session.course
    spec = course.protocol.parsed
    site = session.site
    zone = site.zone
    # Lock the course's sessions: two people rescheduling the same course at once would each
    # push the other's sessions from a stale picture.
    course_sessions = list(
        Session.objects.select_for_update().filter(course_id=course.pk).order_by("number")
    )
    me = next(s for s in course_sessions if s.pk == session.pk)
    me.course, me.site = course, site
    if me.status != S.SCHEDULED:
        raise _bad_transition(me, "rescheduled")
    if to is not None and to < now:
        raise InvalidInput(f"{to.isoformat()} is in the past.", code="start_in_past")
    active = [s for s in course_sessions if s.status not in Session.INACTIVE]
    booked = [_booked(s, zone) for s in active]
    by_key = {b.key: b for b in booked}
    today = now.astimezone(zone).date()
    my_day = me.start.astimezone(zone).date()
    # Bookings before today or before the session cannot matter (the previous session's time
    # is known from the course); loading them would make a reschedule read the whole year.
    lo_day = max(today, min(my_day, to.astimezone(zone).date() if to else my_day))
    last_day = max(b.day for b in booked)
    calendar = _calendar(site, lo_day)
    if extra_closed:
        calendar = SiteCalendar(
            zone=calendar.zone, hours=calendar.hours, closed={**calendar.closed, **extra_closed}
        )
    if to is not None:
        last_day = max(last_day, to.astimezone(zone).date())
    lo = local_day_bounds(lo_day, zone)[0]
    hi = local_day_bounds(last_day + dt.timedelta(days=SEARCH_DAYS), zone)[1]
    loaded = _load_placer(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=me.patient_id,
        window=(lo, hi),
        now=now,
    )
    placer, resources = loaded.placer, loaded.resources
    all_rids = list(placer.resource_busy)
    later = [s for s in active if s.number > me.number]
    # Later sessions may be pushed, so the moved one may take their current places: look
    # through them until each is either kept (checked below) or pushed.
    placer.ignore = {s.pk for s in later if s.status == S.SCHEDULED}

    def prev_of(number: int) -> Booked | None:
        earlier = [b for b in booked if b.number < number]
        return max(earlier, key=lambda b: b.number) if earlier else None

    def place_on(target: Session, day: dt.date, minute: int, prev: Booked | None):
        phase = spec.phases[target.phase_index]
        earliest = None
        if prev is not None and prev.day == day:
            earliest = prev.start + dt.timedelta(minutes=max(phase.min_minutes_between_starts, 1))
        try:
            slot, why, _conflict = placer.find_on_day(day, minute, earliest=earliest)
        except WindowExceeded:
            return None, f"nothing is free early enough (searched up to {placer.window_end})"
        if slot is None:
            return None, why
        problem = spacing_problem(
            phase, prev, slot.start, day, week_days(booked, target.phase_index, day, target.pk)
        )
        if problem:
            return None, problem
        return slot, ""

    def search(target: Session, from_day: dt.date, minute: int, prev: Booked | None):
        phase = spec.phases[target.phase_index]
        why = ""
        for offset in range(SEARCH_DAYS):
            day = from_day + dt.timedelta(days=offset)
            start_guess = local_instant(day, minute, zone)
            problem = spacing_problem(
                phase,
                prev,
                max(start_guess, prev.start + dt.timedelta(minutes=1)) if prev else start_guess,
                day,
                week_days(booked, target.phase_index, day, target.pk),
            )
            if problem:
                why = problem
                if "at most" in problem:
                    break
                continue
            slot, why = place_on(target, day, minute, prev)
            if slot is not None:
                return slot, ""
        return None, why

    placer.release(me.pk, all_rids)
    my_minute = _minutes(me.start.astimezone(zone).time())
    prev = prev_of(me.number)
    if to is not None:
        day = to.astimezone(zone).date()
        phase = spec.phases[me.phase_index]
        reason = calendar.closed_reason(day)
        if reason is not None:
            raise InvalidInput(f"The site is closed on {day}: {reason}.", code="site_closed")
        opens, closes = calendar.hours[day.weekday()]
        local = to.astimezone(zone)
        total = spec.timing.procedure_minutes + spec.timing.observation_minutes
        if _minutes(local.time()) < _minutes(opens) or (
            _minutes(local.time()) + total > _minutes(closes)
        ):
            raise InvalidInput(
                f"A {total}-minute session at {local:%H:%M} is outside opening hours on {day} "
                f"({opens:%H:%M}-{closes:%H:%M}).",
                code="outside_opening_hours",
            )
        problem = spacing_problem(
            phase, prev, to, day, week_days(booked, me.phase_index, day, me.pk)
        )
        if problem:
            raise InvalidInput(
                f"Session {me.number} cannot move to {local:%Y-%m-%d %H:%M}: {problem}.",
                code=ERR_PROTOCOL_RULE,
            )
        slot, why, conflict = placer.try_at(to)
        if slot is None:
            raise Conflict(
                f"{local:%Y-%m-%d %H:%M} is not free: {why} ({_label(conflict)}).",
                code=ERR_SLOT_TAKEN,
                conflicting=_label(conflict),
            )
    else:
        from_day = max(my_day + dt.timedelta(days=1), today)
        slot, why = search(me, from_day, my_minute, prev)
        if slot is None:
            raise Conflict(
                f"No valid time for session {me.number} in the {SEARCH_DAYS} days after "
                f"{from_day}: {why}.",
                code=ERR_UNPLACEABLE,
            )
    changes: list[tuple[Session, Any]] = [(me, slot)]
    placer.take(slot, me.pk)
    by_key[me.pk] = replace_booked(by_key[me.pk], slot.start, zone)
    booked = [by_key[b.key] for b in booked]
    # Push later sessions only while the spacing rules would break (or a moved session now
    # overlaps them); the first one that is fine stops the cascade.
    cur = by_key[me.pk]
    for nxt in later:
        b = by_key[nxt.pk]
        phase = spec.phases[nxt.phase_index]
        problem = spacing_problem(
            phase, cur, b.start, b.day, week_days(booked, nxt.phase_index, b.day, nxt.pk)
        )
        if problem is None:
            end = nxt.observation_end
            hit = [m for m, slot in changes if slot.start < end and slot.observation_end > b.start]
            if hit:
                problem = f"it overlaps session {hit[0].number}"
        placer.ignore.discard(nxt.pk)
        if problem is None:
            break
        if not b.movable:
            raise Conflict(
                f"Moving session {me.number} would break the rules for session {nxt.number} "
                f"({problem}), which is already {nxt.get_status_display().lower()}.",
                code=ERR_PROTOCOL_RULE,
            )
        placer.release(nxt.pk, all_rids)
        minute = _minutes(nxt.start.astimezone(zone).time())
        pushed, why = search(nxt, max(b.day, cur.day), minute, cur)
        if pushed is None:
            raise Conflict(
                f"Session {nxt.number} would have to move too, but has no valid time: {why}.",
                code=ERR_UNPLACEABLE,
            )
        placer.take(pushed, nxt.pk)
        by_key[nxt.pk] = replace_booked(b, pushed.start, zone)
        booked = [by_key[x.key] for x in booked]
        cur = by_key[nxt.pk]
        changes.append((nxt, pushed))
    return _write_moves(changes, me, by=by, now=now, resources=resources)


def _defer_patient_overlap_check(defer: bool) -> None:
    if connection.vendor != "postgresql":
        return
    mode = "DEFERRED" if defer else "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS session_no_overlap_per_patient {mode}")


def _write_moves(changes, me: Session, *, by: Any, now: dt.datetime, resources) -> SessionChange:
    moved: list[Moved] = []
    sessions = []
    for s, slot in changes:
        old = s.start
        s.start, s.end, s.observation_end = slot.start, slot.end, slot.observation_end
        s.sequence += 1
        s.updated_at = now
        sessions.append(s)
        moved.append(Moved(s, old))
    chain = len(sessions) > 1
    try:
        # A pushed chain is updated in one statement; on PostgreSQL check the patient overlap
        # constraint when all rows are in place, not row by row (migration 0002).
        if chain:
            _defer_patient_overlap_check(True)
        Session.objects.bulk_update(
            sessions, ["start", "end", "observation_end", "sequence", "updated_at"]
        )
        if chain:
            _defer_patient_overlap_check(False)
        Session.history.bulk_history_create(sessions, update=True, default_user=by)
        # Old holds go before new ones arrive, so the resource constraint never sees both.
        ResourceHold.objects.filter(session__in=sessions).delete()
        placements = [
            Placement(
                number=s.number,
                phase=s.phase,
                phase_index=s.phase_index,
                day=s.start.astimezone(me.site.zone).date(),
                start=s.start,
                end=s.end,
                observation_end=s.observation_end,
                holds=slot.holds,
            )
            for s, slot in changes
        ]
        ResourceHold.objects.bulk_create(
            _hold_objects(placements, sessions, {r.id: r for r in resources})
        )
    except (IntegrityError, OperationalError) as exc:
        if not _is_booking_race(exc):
            raise
        holds = [h for _s, slot in changes for h in slot.holds]
        spans = [(slot.start, slot.observation_end) for _s, slot in changes]
        raise _Race(exc, holds, spans, me.patient_id) from exc
    return SessionChange(me, moved)
