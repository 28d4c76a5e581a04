"""The planning engine: protocol spec + start + site calendar -> ordered planned sessions.

Pure Python (no Django), deterministic, and fast enough to plan thousands of courses a second
(see bench/). Booking onto resources is the scheduling app's job; the engine decides the days
and local times that the protocol's rules and the site's calendar allow.

How a phase is laid out, by example (standard 10 Hz TMS, 30 acute sessions 5 a week, started on
a Monday with a public holiday on the Wednesday of week 2):

    week 1: Mon Tue Wed Thu Fri   (5)
    week 2: Mon Tue --- Thu Fri   (4: the holiday is skipped, not doubled up)
    ...
    week 7: Mon                   (the 30th session: the phase is extended, never shortened)

Walking forward day by day, a day takes the phase's next session(s) when:
  * the site is open (no closure, no public holiday, opening hours that weekday),
  * the weekday is one of the phase's `weekdays` (if given),
  * the phase has fewer than its sessions per week in that ISO week (a week's quota counts
    treatment days; an accelerated day of 10 sessions is one of them),
  * it is at least `min_days_between` days (and at least one day) after the previous treatment
    day, which may belong to the previous phase.
If the next such day lies more than `max_days_between` days after the previous one, the rule
cannot be kept and PlanningError says so, naming the rule and the last day the session could have
taken (the deadline); sessions are never silently dropped.

Times: each treatment day starts at the preferred local time (moved earlier only if the day's
sessions would otherwise run past closing). Same-day sessions start `min_minutes_between_starts`
elapsed minutes apart. Local wall-clock times are fixed first and converted to UTC per day, so
09:00 stays 09:00 local across a DST change. On a day without a DST change the zone's UTC offset
is one number, so wall-clock and elapsed arithmetic agree and the engine adds minutes directly
(this is what makes it fast). On the day of a change, the day is laid out on real instants:
opening resolves to the later and closing to the earlier instant when the wall time is ambiguous
or missing, and a preferred time inside a spring-forward gap resolves as PEP 495 says (fold=0:
02:30 on the New York spring-forward day is 07:30 UTC, reported as 03:30 local). Either way a
session never starts before opening or ends after closing in local wall-clock time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from clinic.calendar import SiteCalendar, minute_of_day
from protocols.spacing import SpacingRule, day_violation, weekday_mask
from protocols.spec import Phase, ProtocolSpec

UTC = dt.UTC
# How far ahead the engine looks before declaring a course unplannable.
HORIZON_DAYS = 3 * 366
# Why a day was passed over (besides the calendar's own closure reasons); protocols/adjustments.py
# reads these to tell a booker why the course did not start on the day asked.
SKIP_CLOSED = "closed"
SKIP_SHORT_HOURS = "opening hours too short"


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """One planned session. The *_local and *_utc fields are the same instants.

    Compare a local time with a UTC one through `astimezone(UTC)`, not `==`: by PEP 495 an
    inter-zone `==` is False for a wall time that occurs twice (the hour repeated in autumn).
    """

    phase: str
    phase_index: int
    number: int  # 1-based, across the whole course
    number_in_phase: int  # 1-based
    day: dt.date  # local date
    start_local: dt.datetime  # aware, in the site's zone
    end_local: dt.datetime  # end of the procedure part
    observation_end_local: dt.datetime  # end of the observation window (== end when none)
    start_utc: dt.datetime
    end_utc: dt.datetime
    observation_end_utc: dt.datetime
    scales_due: tuple[str, ...] = ()


class PlanningError(Exception):
    """The protocol's rules cannot be met on this calendar.

    rule: the rule that breaks (`max_days_between`, `sessions_per_day`, `opening_hours`,
    `horizon`); day: the local date where it breaks (for `max_days_between`, the last day the
    session could have taken; for `horizon`, the last day searched), also named in the message;
    phase: the phase name.
    """

    def __init__(self, rule: str, day: dt.date, phase: str, message: str):
        self.rule = rule
        self.day = day
        self.phase = phase
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where to continue planning when re-planning the rest of a course.

    phase_index/done_in_phase: the next session is in this phase, after `done_in_phase` of its
    sessions; last_day: the local date of the last session kept (spacing counts from it);
    number: how many course sessions come before; week_count: the phase's treatment days already
    in last_day's ISO week (for the weekly quota).
    """

    phase_index: int
    done_in_phase: int
    last_day: dt.date | None
    number: int
    week_count: int = 0


_ONE_DAY = dt.timedelta(days=1)
# A session starts before closing, so within the day: minute -> timedelta, built once.
_MINUTE = tuple(dt.timedelta(minutes=m) for m in range(24 * 60))
_MIDNIGHT = dt.time()
# A day's midnight in a zone (a few times faster than datetime(y, m, d, tzinfo=...)).
_combine = dt.datetime.combine
# Opening and closing, in minutes of the day.
_Hours = tuple[int, int]
# One session's times: start, end and observation end, local then UTC.
_Slot = tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime, dt.datetime, dt.datetime]


def plan_course(
    spec: ProtocolSpec,
    start: dt.date,
    preferred: dt.time,
    calendar: SiteCalendar,
    *,
    resume: ResumePoint | None = None,
    skips: dict[dt.date, str] | None = None,
) -> list[PlannedSession]:
    """Plan every session of `spec` from `start` (the earliest possible day).

    With `skips`, every day passed over for a calendar or quota reason is recorded in it with
    that reason (a holiday's name, SKIP_CLOSED, SKIP_SHORT_HOURS, the weekly quota).

    Raises PlanningError when a rule cannot be kept. With `resume`, plans only the sessions after
    that point (used to re-plan a course after a missed or moved session); outcome scales are
    then scheduled as in the full course (numbering continues from `resume.number`, a weekly
    scale is not repeated in `resume.last_day`'s week).

    Example: standard TMS (30 at 5 a week, then 3, 2, 1) from Monday 2025-01-06 at 09:00 in
    New York with US holidays gives 36 sessions; MLK Day (Jan 20) and Presidents' Day (Feb 17)
    are skipped, so session 30 falls on Tuesday 2025-02-18, and every start is 09:00 local
    (14:00 UTC in winter, 13:00 UTC after the March change).
    """
    planner = _Planner(spec, start, preferred, calendar, resume, skips)
    for phase_index in range(0 if resume is None else resume.phase_index, len(spec.phases)):
        planner.plan_phase(phase_index, *_resumed_in_phase(resume, phase_index))
    return planner.sessions


def _monday(day: dt.date) -> int:
    """The ordinal of the Monday of `day`'s ISO week: the engine's key for a week."""
    return day.toordinal() - day.weekday()


def _resumed_in_phase(resume: ResumePoint | None, phase_index: int) -> tuple[int, int, int]:
    """(sessions already done, week key, treatment days in that week) when the phase starts."""
    if resume is None or phase_index != resume.phase_index:
        return 0, -1, 0
    if resume.last_day is not None and resume.week_count:
        return resume.done_in_phase, _monday(resume.last_day), resume.week_count
    return resume.done_in_phase, -1, 0


class _Planner:
    """One plan: the calendar and the session timing in the engine's terms (minutes of the day,
    opening hours by weekday), the sessions so far, and the walk forward through the calendar to
    the phase's treatment days (where it stands, the previous treatment day, which may belong to
    the previous phase, the week's quota, the days passed over since, for the error message)."""

    def __init__(
        self,
        spec: ProtocolSpec,
        start: dt.date,
        preferred: dt.time,
        calendar: SiteCalendar,
        resume: ResumePoint | None,
        skips: dict[dt.date, str] | None,
    ):
        timing = spec.timing
        self.spec, self.start, self.skips = spec, start, skips
        self.limit = start + dt.timedelta(days=HORIZON_DAYS)
        self.duration = timing.procedure_minutes + timing.observation_minutes
        self.procedure = dt.timedelta(minutes=timing.procedure_minutes)
        self.observation = dt.timedelta(minutes=timing.observation_minutes)
        self.zone, self.closed, self.pref = calendar.zone, calendar.closed, minute_of_day(preferred)
        self.hours: list[_Hours | None] = [None] * 7
        for weekday, (open_at, close_at) in calendar.hours.items():
            self.hours[weekday] = (minute_of_day(open_at), minute_of_day(close_at))
        self.sessions: list[PlannedSession] = []
        self.number = 0 if resume is None else resume.number
        self.prev_day = None if resume is None else resume.last_day
        self.scales = _ScaleSchedule.for_course(spec, self.number, resume)
        # The zone's UTC offset all through the ISO week from `offset_week`, None if it changes.
        self.offset_week = -1
        self.week_offset: dt.timedelta | None = None

    def plan_phase(self, phase_index: int, done: int, week_key: int, week_count: int) -> None:
        """Plan the phase's sessions after the `done` already planned (`week_count` of its
        treatment days in the week `week_key`)."""
        phase = self.spec.phases[phase_index]
        self.start_phase(phase, week_key, week_count)
        name, total, scales = phase.name, phase.total_sessions, self.scales
        per_day, gap_starts = phase.sessions_per_day, phase.min_minutes_between_starts
        append, number = self.sessions.append, self.number
        while done < total:
            day, monday, weekday, opening = self.next_day(phase, number, done)
            count = min(per_day, total - done)
            slots = self.day_slots(day, monday, weekday, opening, count, gap_starts)
            if slots is None:
                self.check_some_day_fits(phase, day, opening, count)
                self.pass_over(day, SKIP_SHORT_HOURS)
                self.day = day + _ONE_DAY
                continue
            for slot in slots:
                number += 1
                done += 1
                due = () if scales is None else scales.at(number, phase_index, done == 1, monday)
                append(PlannedSession(name, phase_index, number, done, day, *slot, due))
            self.took(phase, day)
        self.number = number

    def start_phase(self, phase: Phase, week_key: int, week_count: int) -> None:
        prev_day, max_gap = self.prev_day, phase.max_days_between
        # Treatment days are distinct days: same-day sessions are what sessions_per_day is for.
        self.step = dt.timedelta(days=max(phase.effective_min_days_between, 1))
        self.day = self.start if prev_day is None else max(self.start, prev_day + self.step)
        self.deadline = None
        if prev_day is not None and max_gap is not None:
            self.deadline = prev_day + dt.timedelta(max_gap)
        self.week_key, self.week_count = week_key, week_count
        self.skipped: list[tuple[dt.date, str]] = []
        self.quota_used = f"{phase.per_week} a week already planned that week"

    def next_day(self, phase: Phase, number: int, done: int) -> tuple[dt.date, int, int, _Hours]:
        """The next day from where the walk stands that keeps the phase's spacing rules and is
        open: (day, week key, weekday, opening). `number` counts the course's sessions so far,
        `done` the phase's. Raises PlanningError when no day within the horizon or within
        `max_days_between` can take the next session."""
        day, week_key, week_count = self.day, self.week_key, self.week_count
        while True:
            if day > self.limit:
                raise PlanningError(
                    "horizon",
                    self.limit,
                    phase.name,
                    f"phase {phase.name!r}: no day up to {self.limit.isoformat()} ({HORIZON_DAYS} "
                    f"days after {self.start.isoformat()}) can take session {done + 1} of "
                    f"{phase.total_sessions}",
                )
            weekday = day.weekday()
            monday = day.toordinal() - weekday
            if monday != week_key:
                week_key, week_count = monday, 0
            # The phase's spacing rules are protocols/spacing.py's; the engine only decides
            # where to look next when a day breaks one.
            violation = day_violation(
                phase, day, prev_number=number, prev_day=self.prev_day, days_this_week=week_count
            )
            if violation is None:
                reason, opening = self.closed.get(day), self.hours[weekday]
                if reason is None and opening is not None:
                    break
                self.pass_over(day, reason or SKIP_CLOSED)
                day += _ONE_DAY
            elif violation.rule is SpacingRule.MAX_DAYS:
                raise self.max_gap_error(phase, number + 1)
            elif violation.rule is SpacingRule.WEEKLY_QUOTA:
                # Quota for this ISO week is used up: jump to next Monday.
                self.pass_over(day, self.quota_used)
                day = dt.date.fromordinal(monday + 7)
            else:
                day += _ONE_DAY
        self.day, self.week_key, self.week_count = day, week_key, week_count
        return day, monday, weekday, opening

    def max_gap_error(self, phase: Phase, number: int) -> PlanningError:
        prev_day, deadline = self.prev_day, self.deadline
        assert prev_day is not None and deadline is not None
        reasons = [f"{day.isoformat()} {why}" for day, why in self.skipped if day <= deadline]
        why = f" ({'; '.join(reasons[-3:])})" if reasons else ""
        return PlanningError(
            "max_days_between",
            deadline,
            phase.name,
            f"phase {phase.name!r}: session {number} must be within {phase.max_days_between} "
            f"days of {prev_day.isoformat()}, but no day up to {deadline.isoformat()} can take "
            f"it{why}",
        )

    def pass_over(self, day: dt.date, reason: str) -> None:
        self.skipped.append((day, reason))
        if self.skips is not None:
            self.skips[day] = reason

    def took(self, phase: Phase, day: dt.date) -> None:
        """`day` became a treatment day: count it and step on by the phase's spacing."""
        self.week_count += 1
        self.prev_day, self.skipped, self.day = day, [], day + self.step
        if phase.max_days_between is not None:
            self.deadline = day + dt.timedelta(phase.max_days_between)

    def day_slots(
        self, day: dt.date, monday: int, weekday: int, opening: _Hours, count: int, gap: int
    ) -> list[_Slot] | None:
        """The times of `count` sessions starting `gap` minutes apart on `day`, from the
        preferred time or earlier so as to end by closing; None if they do not fit the opening."""
        span = (count - 1) * gap + self.duration
        zone, procedure, observation = self.zone, self.procedure, self.observation
        slots = []
        offset = self.utc_offset(monday, weekday)
        if offset is None:
            # A DST change today: lay the day out in real time, read the wall clock back.
            first_utc = _place_on_dst_day(zone, day, self.pref, opening, span)
            if first_utc is None:
                return None
            for i in range(count):
                start_utc = first_utc + i * dt.timedelta(minutes=gap)
                end_utc = start_utc + procedure
                obs_utc = end_utc + observation
                local = start_utc.astimezone(zone), end_utc.astimezone(zone)
                slots.append((*local, obs_utc.astimezone(zone), start_utc, end_utc, obs_utc))
            return slots
        opens, closes = opening
        first = max(self.pref, opens)
        if first + span > closes:
            first = closes - span
        if first < opens:
            return None
        # No DST change today: wall-clock and elapsed time agree all day.
        base_local = _combine(day, _MIDNIGHT, zone)
        base_utc = _combine(day, _MIDNIGHT, UTC) - offset
        for i in range(count):
            delta = _MINUTE[first + i * gap]
            start_local, start_utc = base_local + delta, base_utc + delta
            end_local, end_utc = start_local + procedure, start_utc + procedure
            obs_local, obs_utc = end_local + observation, end_utc + observation
            slots.append((start_local, end_local, obs_local, start_utc, end_utc, obs_utc))
        return slots

    def utc_offset(self, monday: int, weekday: int) -> dt.timedelta | None:
        """The zone's UTC offset all through the day, None on the day of a DST change."""
        if monday != self.offset_week:
            self.offset_week = monday
            self.week_offset = _offset_between(self.zone, monday, monday + 7)
        if self.week_offset is not None:
            return self.week_offset
        # The week has a DST change; most of its days still have one offset.
        return _offset_between(self.zone, monday + weekday, monday + weekday + 1)

    def check_some_day_fits(self, phase: Phase, day: dt.date, opening: _Hours, count: int) -> None:
        """Raise PlanningError when no open weekday of the phase can hold its longest day of
        sessions (`day`, open too briefly for the day's `count`, is named as the example)."""
        gap, duration = phase.min_minutes_between_starts, self.duration
        longest = (min(phase.sessions_per_day, phase.total_sessions) - 1) * gap + duration
        allowed = weekday_mask(phase)
        if any(
            allowed[wd] and hours is not None and hours[1] - hours[0] >= longest
            for wd, hours in enumerate(self.hours)
        ):
            return
        opens, closes = opening
        span = (count - 1) * gap + duration
        raise PlanningError(
            "sessions_per_day" if count > 1 else "opening_hours",
            day,
            phase.name,
            f"phase {phase.name!r}: {count} session(s) of {duration} min"
            + (f" {gap} min apart" if count > 1 else "")
            + f" need {span} min but {day.isoformat()} is open only "
            f"{closes - opens} min ({_hm(opens)}-{_hm(closes)})",
        )


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _offset_between(zone: ZoneInfo, first: int, end: int) -> dt.timedelta | None:
    """The zone's UTC offset from local midnight of day ordinal `first` up to that of `end`, or
    None when it changes in between. Assumes at most one change in that time (at most a week),
    which holds for every zone's DST rules."""
    offset = zone.utcoffset(dt.datetime.fromordinal(first))
    if offset != zone.utcoffset(dt.datetime.fromordinal(end)):
        return None
    return offset


def _instant(zone: ZoneInfo, day: dt.date, minute: int, fold: int) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, fold=fold)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _place_on_dst_day(
    zone: ZoneInfo, day: dt.date, pref: int, opening: tuple[int, int], span: int
) -> dt.datetime | None:
    """The UTC start of the first session on the day of a DST change, or None if the
    block of `span` minutes does not fit the opening hours.

    Opening takes the later and closing the earlier reading of an ambiguous or missing wall time,
    so every instant in between reads as a wall time inside the opening hours.
    """
    opens = max(_instant(zone, day, opening[0], 0), _instant(zone, day, opening[0], 1))
    closes = min(_instant(zone, day, opening[1], 0), _instant(zone, day, opening[1], 1))
    length = dt.timedelta(minutes=span)
    first = max(_instant(zone, day, pref, 0), opens)
    if first + length > closes:
        first = closes - length
    return first if first >= opens else None


class _ScaleSchedule:
    """Which rating scales are due at which session (see OutcomeSchedule): at session 1
    (baseline), every N sessions, at the early-improvement review session, at the first
    session of each ISO week (weekly), at the first session of named phases, at the last
    session of named phases, and at the last session of the course (end)."""

    def __init__(self, spec: ProtocolSpec, final: int):
        outcomes = spec.outcomes
        self.names = [o.scale for o in outcomes]
        self.at_number: dict[int, set[int]] = {}
        for index, outcome in enumerate(outcomes):
            numbers: set[int] = set()
            if outcome.baseline:
                numbers.add(1)
            if outcome.end and final > 0:
                numbers.add(final)
            if outcome.every_sessions:
                numbers.update(range(outcome.every_sessions, final + 1, outcome.every_sessions))
            # The early-improvement review compares this scale at that session with baseline
            # (CLINICAL.md §6), so the scale is due there whatever its cadence.
            review = spec.early_review
            if review is not None and review.scale == outcome.scale and review.at_session <= final:
                numbers.add(review.at_session)
            # Phases are counted in sessions, so a phase's last session number is fixed by the
            # spec: "end of induction" (docs/clinical.md, MIMS HK Spravato) needs no calendar.
            last_of_phase = 0
            for phase in spec.phases:
                last_of_phase += phase.total_sessions
                if phase.name in outcome.phase_ends and last_of_phase <= final:
                    numbers.add(last_of_phase)
            for n in numbers:
                self.at_number.setdefault(n, set()).add(index)
        self.weekly = {i for i, o in enumerate(outcomes) if o.weekly}
        self.has_weekly = bool(self.weekly)
        self.at_phase_start = [
            {i for i, o in enumerate(outcomes) if phase.name in o.phase_starts}
            for phase in spec.phases
        ]
        # The week key of the last session planned, for the weekly scales.
        self.week = -1

    @classmethod
    def for_course(
        cls, spec: ProtocolSpec, number: int, resume: ResumePoint | None
    ) -> _ScaleSchedule | None:
        """The schedule of a plan after `number` sessions (resumed at `resume`), numbered as
        the whole course; None when the spec has no outcome scales."""
        if not spec.outcomes:
            return None
        first_phase = 0 if resume is None else resume.phase_index
        final = number + sum(p.total_sessions for p in spec.phases[first_phase:])
        if resume is not None and first_phase < len(spec.phases):
            final -= resume.done_in_phase
        scales = cls(spec, final)
        if resume is not None and resume.last_day is not None:
            scales.week = _monday(resume.last_day)
        return scales

    def at(
        self, number: int, phase_index: int, first_in_phase: bool, monday: int
    ) -> tuple[str, ...]:
        """The scales due at session `number` (the next in the course), in week `monday`."""
        new_week = self.has_weekly and monday != self.week
        self.week = monday
        phase_start = first_in_phase and self.at_phase_start[phase_index]
        if new_week or phase_start or number in self.at_number:
            return self.due(number, phase_index, first_in_phase, new_week)
        return ()

    def due(
        self, number: int, phase_index: int, first_in_phase: bool, new_week: bool
    ) -> tuple[str, ...]:
        indexes = set(self.at_number.get(number, ()))
        if first_in_phase:
            indexes |= self.at_phase_start[phase_index]
        if new_week:
            indexes |= self.weekly
        return tuple(dict.fromkeys(self.names[i] for i in sorted(indexes)))
