"""Moving a session, and the later sessions of its course that the move would put in breach of
the protocol's spacing rules (ECT's >=1 day gap, esketamine's twice-weekly cadence, one TMS
session a day). A closure's re-plan moves each session of the closed day the same way.

The rules themselves are protocols/spacing.py's `spacing_violation`, the same predicate the
planning engine uses; the booking writes go through scheduling/booking_change.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from clinic.calendar import SiteCalendar, minute_of_day
from clinic.clock import require_aware, resolve_now
from clinic.error_codes import ERR_INVALID
from clinic.errors import Conflict, InvalidInput
from clinic.permissions import require_role
from protocols.spacing import Previous, SpacingRule, SpacingViolation, spacing_violation
from protocols.spec import ProtocolSpec
from scheduling.availability import local_day_bounds
from scheduling.booking_change import (
    BookingChange,
    booking_transaction,
    conflict_label,
    load_site_calendar,
)
from scheduling.change_results import ChangePreview, SessionChange
from scheduling.error_codes import (
    ERR_OUTSIDE_OPENING_HOURS,
    ERR_OUTSIDE_WINDOW,
    ERR_PROTOCOL_RULE,
    ERR_SITE_CLOSED,
    ERR_SLOT_TAKEN,
    ERR_START_IN_PAST,
    ERR_UNPLACEABLE,
)
from scheduling.models import Session
from scheduling.observation_holds import observation_hold_follow
from scheduling.placement import Slot, WindowExceeded, local_instant
from scheduling.roles import BOOKERS
from scheduling.selectors import session_for_reader
from scheduling.session_access import invalid_transition

# A search for "the next valid day" gives up after this many days; a move may go this many days
# past the course's last booked session (`move_window`).
SEARCH_DAYS = 60


def move_window(today: dt.date, last_booked: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last local day a session of a course may move to: from today up to
    SEARCH_DAYS after the course's last booked (active) session. The protocol's spacing rules
    narrow it further, day by day (`Replan.slot_at`)."""
    return today, last_booked + dt.timedelta(days=SEARCH_DAYS)


S = Session.Status


def session_reschedule(
    *,
    session_id: int,
    by: User,
    to: dt.datetime | None = None,
    next_valid: bool = False,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> SessionChange:
    """Move a scheduled session to `to` (aware) or to the next valid day (`next_valid`).
    `dry_run`: the same move, rolled back, listing what would move (the staff page).

    The protocol's rules hold: the move must keep spacing/quota/weekday rules with the session
    before it; later sessions that would then break their spacing are pushed, each to the first
    day that keeps the rules, at its usual time or the nearest free one. Every moved session is
    listed.
    """
    now = resolve_now(now)
    if (to is None) == (not next_valid):
        raise InvalidInput("Give either `to` or `next_valid: true`.", code=ERR_INVALID)
    if to is not None:
        require_aware(to, "to")
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *BOOKERS, action="reschedule a session")
    try:
        with booking_transaction():
            change = session_replan(session, to=to, by=by, now=now)
            if dry_run:
                raise ChangePreview(change)
    except ChangePreview as preview:
        return preview.change
    return change


def session_replan(
    session: Session,
    *,
    to: dt.datetime | None,
    by: User,
    now: dt.datetime,
    extra_closed: dict[dt.date, str] | None = None,
) -> SessionChange:
    """Move `session` (to `to`, or the next valid day) and push later ones, inside the caller's
    booking transaction. `extra_closed` adds closed days not yet in the database (a closure
    being recorded in the same transaction)."""
    plan = Replan.load(session, to=to, now=now, extra_closed=extra_closed or {})
    moves = plan.moves(to)
    # Where the moved sessions' holds began (a hold spans the procedure from the start, or the
    # observation from the end): a hold that had to stop there (a late dose) runs on into the
    # room the move left. Known from the loaded picture, so no query when none is waiting.
    waiting = plan.change.capped_at(t for s, _slot in moves for t in (s.start, s.end))
    moved = plan.change.move_sessions(moves, by=by, now=now)
    for session_id, discharge in waiting:
        observation_hold_follow(session_id=session_id, discharge_at=discharge, by=by)
    return SessionChange(plan.me, moved)


@dataclass(frozen=True, slots=True)
class _Booked:
    """An existing session of the course, as the move rules see it."""

    key: Hashable  # session id
    number: int
    phase_index: int
    start: dt.datetime
    day: dt.date  # local
    movable: bool  # scheduled (not yet checked in)

    def previous(self) -> Previous:
        return Previous(self.number, self.start, self.day)


def _iso_week(day: dt.date) -> int:
    return day.toordinal() - day.weekday()


class Replan:
    """One course's sessions as bookings, the loaded placer, and the search for new slots."""

    def __init__(
        self,
        me: Session,
        later: list[Session],
        booked: list[_Booked],
        spec: ProtocolSpec,
        calendar: SiteCalendar,
        change: BookingChange,
        today: dt.date,
    ):
        self.me, self.later, self.spec, self.calendar = me, later, spec, calendar
        self.change, self.placer, self.today = change, change.placer, today
        self.zone: ZoneInfo = calendar.zone
        self.by_key = {b.key: b for b in booked}
        self.order = [b.key for b in booked]
        self.all_rids = list(self.placer.resource_busy)

    @classmethod
    def load(
        cls,
        session: Session,
        *,
        to: dt.datetime | None,
        now: dt.datetime,
        extra_closed: dict[dt.date, str],
    ) -> Replan:
        course = session.course
        spec = course.protocol.parsed
        site = session.site
        zone = site.zone
        # Lock the course's sessions: two people rescheduling the same course at once would
        # each push the other's sessions from a stale picture.
        course_sessions = list(
            Session.objects.select_for_update().filter(course_id=course.pk).order_by("number")
        )
        me = next(s for s in course_sessions if s.pk == session.pk)
        me.course, me.site = course, site
        if me.status != S.SCHEDULED:
            raise invalid_transition(me, "rescheduled")
        if to is not None and to < now:
            raise InvalidInput(f"{to.isoformat()} is in the past.", code=ERR_START_IN_PAST)
        active = [s for s in course_sessions if s.status not in Session.INACTIVE]
        booked = [
            _Booked(
                key=s.pk,
                number=s.number,
                phase_index=s.phase_index,
                start=s.start,
                day=s.start.astimezone(zone).date(),
                movable=s.status == S.SCHEDULED,
            )
            for s in active
        ]
        today = now.astimezone(zone).date()
        my_day = me.start.astimezone(zone).date()
        # Bookings before today or before the session cannot matter (the previous session's
        # time is known from the course); loading them would make a reschedule read the year.
        lo_day = max(today, min(my_day, to.astimezone(zone).date() if to else my_day))
        last_day = max(b.day for b in booked)
        if to is not None:
            _first, last_allowed = move_window(today, last_day)
            if to.astimezone(zone).date() > last_allowed:
                raise InvalidInput(
                    f"Session {me.number} can move to a day up to {last_allowed:%a %d %b %Y} "
                    f"({SEARCH_DAYS} days after the course's last session).",
                    code=ERR_OUTSIDE_WINDOW,
                )
            last_day = max(last_day, to.astimezone(zone).date())
        calendar = load_site_calendar(site, lo_day)
        if extra_closed:
            calendar = SiteCalendar(
                zone=calendar.zone, hours=calendar.hours, closed={**calendar.closed, **extra_closed}
            )
        window = (
            local_day_bounds(lo_day, zone)[0],
            local_day_bounds(last_day + dt.timedelta(days=SEARCH_DAYS), zone)[1],
        )
        change = BookingChange.load(
            site=site,
            spec=spec,
            calendar=calendar,
            patient_id=me.patient_id,
            window=window,
            now=now,
        )
        later = [s for s in active if s.number > me.number]
        # Later sessions may be pushed, so the moved one may take their current places: look
        # through them until each is either kept (checked below) or pushed.
        change.placer.ignore = {s.pk for s in later if s.status == S.SCHEDULED}
        return cls(me, later, booked, spec, calendar, change, today)

    # --- the course as bookings ----------------------------------------------------------------

    def booked(self) -> list[_Booked]:
        return [self.by_key[k] for k in self.order]

    def previous(self, number: int) -> _Booked | None:
        earlier = [b for b in self.booked() if b.number < number]
        return max(earlier, key=lambda b: b.number) if earlier else None

    def violation(
        self, target: Session, prev: _Booked | None, start: dt.datetime, day: dt.date
    ) -> SpacingViolation | None:
        week = _iso_week(day)
        others = {
            b.day
            for b in self.booked()
            if b.key != target.pk
            and b.phase_index == target.phase_index
            and _iso_week(b.day) == week
        }
        phase = self.spec.phases[target.phase_index]
        return spacing_violation(phase, prev.previous() if prev else None, start, day, others)

    def take(self, target: Session, slot: Slot) -> _Booked:
        self.placer.take(slot, target.pk)
        b = self.by_key[target.pk]
        self.by_key[target.pk] = replace(
            b, start=slot.start, day=slot.start.astimezone(self.zone).date()
        )
        return self.by_key[target.pk]

    # --- finding slots -------------------------------------------------------------------------

    def place_on(
        self, target: Session, day: dt.date, minute: int, prev: _Booked | None
    ) -> tuple[Slot | None, str]:
        phase = self.spec.phases[target.phase_index]
        earliest = None
        if prev is not None and prev.day == day:
            earliest = prev.start + dt.timedelta(minutes=max(phase.min_minutes_between_starts, 1))
        try:
            slot, why, _conflict = self.placer.find_on_day(day, minute, earliest=earliest)
        except WindowExceeded:
            return None, f"nothing is free early enough (searched up to {self.placer.window_end})"
        if slot is None:
            return None, why
        violation = self.violation(target, prev, slot.start, day)
        if violation is not None:
            return None, violation.message
        return slot, ""

    def search(
        self, target: Session, from_day: dt.date, minute: int, prev: _Booked | None
    ) -> tuple[Slot | None, str]:
        """The first day from `from_day` that keeps the rules and has a free slot near `minute`."""
        why = ""
        for offset in range(SEARCH_DAYS):
            day = from_day + dt.timedelta(days=offset)
            guess = local_instant(day, minute, self.zone)
            if prev is not None:
                guess = max(guess, prev.start + dt.timedelta(minutes=1))
            violation = self.violation(target, prev, guess, day)
            if violation is not None:
                why = violation.message
                if violation.rule is SpacingRule.MAX_DAYS:
                    break  # every later day breaks it too
                continue
            slot, why = self.place_on(target, day, minute, prev)
            if slot is not None:
                return slot, ""
        return None, why

    def slot_at(self, to: dt.datetime) -> Slot:
        """The slot at exactly `to`, or the error that says why not."""
        me, spec, zone = self.me, self.spec, self.zone
        day = to.astimezone(zone).date()
        reason = self.calendar.closed_reason(day)
        if reason is not None:
            raise InvalidInput(f"The site is closed on {day}: {reason}.", code=ERR_SITE_CLOSED)
        opens, closes = self.calendar.hours[day.weekday()]
        local = to.astimezone(zone)
        total = spec.timing.procedure_minutes + spec.timing.observation_minutes
        if minute_of_day(local.time()) < minute_of_day(opens) or (
            minute_of_day(local.time()) + total > minute_of_day(closes)
        ):
            raise InvalidInput(
                f"A {total}-minute session at {local:%H:%M} is outside opening hours on {day} "
                f"({opens:%H:%M}-{closes:%H:%M}).",
                code=ERR_OUTSIDE_OPENING_HOURS,
            )
        violation = self.violation(me, self.previous(me.number), to, day)
        if violation is not None:
            raise InvalidInput(
                f"Session {me.number} cannot move to {local:%Y-%m-%d %H:%M}: {violation.message}.",
                code=ERR_PROTOCOL_RULE,
            )
        slot, why, conflict = self.placer.try_at(to)
        if slot is None:
            raise Conflict(
                f"{local:%Y-%m-%d %H:%M} is not free: {why} ({conflict_label(conflict)}).",
                code=ERR_SLOT_TAKEN,
                conflicting=conflict_label(conflict),
            )
        return slot

    def next_valid_slot(self) -> Slot:
        me = self.me
        my_day = me.start.astimezone(self.zone).date()
        from_day = max(my_day + dt.timedelta(days=1), self.today)
        minute = minute_of_day(me.start.astimezone(self.zone).time())
        slot, why = self.search(me, from_day, minute, self.previous(me.number))
        if slot is None:
            raise Conflict(
                f"No valid time for session {me.number} in the {SEARCH_DAYS} days after "
                f"{from_day}: {why}.",
                code=ERR_UNPLACEABLE,
            )
        return slot

    # --- the move ------------------------------------------------------------------------------

    def moves(self, to: dt.datetime | None) -> list[tuple[Session, Slot]]:
        """The moved session's new slot, then each later session that has to follow it."""
        me = self.me
        self.placer.release(me.pk, self.all_rids)
        slot = self.slot_at(to) if to is not None else self.next_valid_slot()
        moves: list[tuple[Session, Slot]] = [(me, slot)]
        cur = self.take(me, slot)
        moves += self._push_later(cur, moves)
        return moves

    def _push_later(
        self, cur: _Booked, moves: Sequence[tuple[Session, Slot]]
    ) -> list[tuple[Session, Slot]]:
        """Push later sessions only while the spacing rules would break (or a moved session now
        overlaps them); the first one that is fine stops the cascade."""
        pushed_list: list[tuple[Session, Slot]] = []
        for nxt in self.later:
            b = self.by_key[nxt.pk]
            violation = self.violation(nxt, cur, b.start, b.day)
            problem = violation.message if violation else None
            if problem is None:
                end = nxt.observation_end
                hit = [
                    m
                    for m, slot in [*moves, *pushed_list]
                    if slot.start < end and slot.observation_end > b.start
                ]
                if hit:
                    problem = f"it overlaps session {hit[0].number}"
            self.placer.ignore.discard(nxt.pk)
            if problem is None:
                break
            if not b.movable:
                raise Conflict(
                    f"Moving session {self.me.number} would break the rules for session "
                    f"{nxt.number} ({problem}), which is already "
                    f"{nxt.get_status_display().lower()}.",
                    code=ERR_PROTOCOL_RULE,
                )
            self.placer.release(nxt.pk, self.all_rids)
            minute = minute_of_day(nxt.start.astimezone(self.zone).time())
            pushed, why = self.search(nxt, max(b.day, cur.day), minute, cur)
            if pushed is None:
                raise Conflict(
                    f"Session {nxt.number} would have to move too, but has no valid time: {why}.",
                    code=ERR_UNPLACEABLE,
                )
            cur = self.take(nxt, pushed)
            pushed_list.append((nxt, pushed))
        return pushed_list
