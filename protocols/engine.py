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
  * the phase has fewer than its sessions per week in that ISO week,
  * it is at least `min_days_between` days after the previous treatment day.
If the next such day lies more than `max_days_between` days after the previous one, the rule
cannot be kept and PlanningError says so, naming the rule and the day; sessions are never
silently dropped.

Times: each treatment day starts at the preferred local time (moved earlier only if the day's
sessions would otherwise run past closing). Local wall-clock times are fixed first and converted
to UTC per day, so 09:00 stays 09:00 local across a DST change; durations are elapsed minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from protocols.calendar import SiteCalendar
from protocols.spec import WEEKDAY_INDEX, Phase, ProtocolSpec

UTC = dt.UTC
# How far ahead the engine looks before declaring a course unplannable.
HORIZON_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class PlannedSession:
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
    `horizon`); day: the local date where it breaks; phase: the phase name.
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
    number: how many course sessions come before; week_count: the phase's sessions already in
    last_day's ISO week (for the weekly quota).
    """

    phase_index: int
    done_in_phase: int
    last_day: dt.date | None
    number: int
    week_count: int = 0


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def plan_course(
    spec: ProtocolSpec,
    start: dt.date,
    preferred: dt.time,
    calendar: SiteCalendar,
    *,
    resume: ResumePoint | None = None,
) -> list[PlannedSession]:
    """Plan every session of `spec` from `start` (the earliest possible day).

    Raises PlanningError when a rule cannot be kept. With `resume`, plans only the sessions after
    that point (used to re-plan a course after a missed or moved session).
    """
    timing = spec.timing
    duration = timing.procedure_minutes + timing.observation_minutes
    procedure = dt.timedelta(minutes=timing.procedure_minutes)
    observation = dt.timedelta(minutes=timing.observation_minutes)
    zone = calendar.zone
    hours = {wd: (_minutes(o), _minutes(c)) for wd, (o, c) in calendar.hours.items()}
    closed = calendar.closed
    pref = _minutes(preferred)

    sessions: list[PlannedSession] = []
    prev_day: dt.date | None = None
    number = 0
    first_phase = 0
    if resume is not None:
        prev_day, number, first_phase = resume.last_day, resume.number, resume.phase_index
    limit = start + dt.timedelta(days=HORIZON_DAYS)

    for phase_index in range(first_phase, len(spec.phases)):
        phase = spec.phases[phase_index]
        done = 0
        week_key, week_count = -1, 0
        if resume is not None and phase_index == resume.phase_index:
            done = resume.done_in_phase
            if resume.last_day is not None and resume.week_count:
                week_key = resume.last_day.toordinal() - resume.last_day.weekday()
                week_count = resume.week_count
        total = phase.total_sessions
        per_day, per_week = phase.sessions_per_day, phase.per_week
        gap_starts = phase.min_minutes_between_starts
        min_gap = phase.effective_min_days_between
        max_gap = phase.max_days_between
        allowed = _weekday_mask(phase)
        longest_block_ok = _fits_somewhere(
            hours, allowed, min(per_day, total), gap_starts, duration
        )

        day = start if prev_day is None else max(start, prev_day + dt.timedelta(days=min_gap))
        skipped: list[str] = []
        while done < total:
            if day > limit:
                raise PlanningError(
                    "horizon",
                    day,
                    phase.name,
                    f"phase {phase.name!r}: no day to place session {done + 1} of {total} "
                    f"within {HORIZON_DAYS} days of {start.isoformat()}",
                )
            if prev_day is not None and max_gap is not None and (day - prev_day).days > max_gap:
                why = f" ({'; '.join(skipped[-3:])})" if skipped else ""
                raise PlanningError(
                    "max_days_between",
                    day,
                    phase.name,
                    f"phase {phase.name!r}: session {number + 1} must be within {max_gap} days of "
                    f"{prev_day.isoformat()}, but no day up to {day - dt.timedelta(days=1)} "
                    f"can take it{why}",
                )
            weekday = day.weekday()
            monday = day.toordinal() - weekday
            if monday != week_key:
                week_key, week_count = monday, 0
            if week_count >= per_week:
                # Quota for this ISO week is used up: jump to next Monday.
                day = dt.date.fromordinal(monday + 7)
                continue
            if not allowed[weekday]:
                day += _ONE_DAY
                continue
            reason = closed.get(day)
            opening = hours.get(weekday)
            if reason is not None or opening is None:
                skipped.append(f"{day.isoformat()} {reason or 'closed'}")
                day += _ONE_DAY
                continue
            count = min(per_day, total - done)
            span = (count - 1) * gap_starts + duration
            opens, closes = opening
            first = max(pref, opens)
            if first + span > closes:
                first = closes - span
            if first < opens:
                if not longest_block_ok:
                    rule = "sessions_per_day" if count > 1 else "opening_hours"
                    raise PlanningError(
                        rule,
                        day,
                        phase.name,
                        f"phase {phase.name!r}: {count} session(s) of {duration} min"
                        + (f" {gap_starts} min apart" if count > 1 else "")
                        + f" need {span} min but {day.isoformat()} is open only "
                        f"{closes - opens} min ({_hm(opens)}-{_hm(closes)})",
                    )
                skipped.append(f"{day.isoformat()} opening hours too short")
                day += _ONE_DAY
                continue
            for i in range(count):
                minute = first + i * gap_starts
                local = dt.datetime(
                    day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone
                )
                start_utc = local.astimezone(UTC)
                end_utc = start_utc + procedure
                obs_utc = end_utc + observation
                number += 1
                done += 1
                sessions.append(
                    PlannedSession(
                        phase=phase.name,
                        phase_index=phase_index,
                        number=number,
                        number_in_phase=done,
                        day=day,
                        # Round-trip through UTC: a wall time inside a spring-forward gap
                        # becomes the real instant, and ends crossing a DST change are right.
                        start_local=start_utc.astimezone(zone),
                        end_local=end_utc.astimezone(zone),
                        observation_end_local=obs_utc.astimezone(zone),
                        start_utc=start_utc,
                        end_utc=end_utc,
                        observation_end_utc=obs_utc,
                    )
                )
            week_count += 1
            prev_day = day
            skipped = []
            day += dt.timedelta(days=max(min_gap, 1))

    if spec.outcomes and resume is None:
        sessions = _with_scales(spec, sessions)
    return sessions


_ONE_DAY = dt.timedelta(days=1)


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _weekday_mask(phase: Phase) -> tuple[bool, ...]:
    if phase.weekdays is None:
        return (True,) * 7
    wanted = {WEEKDAY_INDEX[d] for d in phase.weekdays}
    return tuple(i in wanted for i in range(7))


def _fits_somewhere(
    hours: dict[int, tuple[int, int]],
    allowed: tuple[bool, ...],
    count: int,
    gap_starts: int,
    duration: int,
) -> bool:
    span = (count - 1) * gap_starts + duration
    return any(allowed[wd] and c - o >= span for wd, (o, c) in hours.items())


def _with_scales(spec: ProtocolSpec, sessions: list[PlannedSession]) -> list[PlannedSession]:
    """Mark which rating scales are due at which session (see OutcomeSchedule)."""
    if not sessions:
        return sessions
    due: dict[int, list[str]] = {}
    first_of_phase = {}
    for s in sessions:
        first_of_phase.setdefault(s.phase, s.number)
    last = sessions[-1].number
    for outcome in spec.outcomes:
        numbers: set[int] = set()
        if outcome.baseline:
            numbers.add(1)
        if outcome.end:
            numbers.add(last)
        if outcome.every_sessions:
            numbers.update(range(outcome.every_sessions, last + 1, outcome.every_sessions))
        if outcome.weekly:
            seen_weeks: set[int] = set()
            for s in sessions:
                week = s.day.toordinal() - s.day.weekday()
                if week not in seen_weeks:
                    seen_weeks.add(week)
                    numbers.add(s.number)
        for name in outcome.phase_starts:
            if name in first_of_phase:
                numbers.add(first_of_phase[name])
        for n in numbers:
            due.setdefault(n, []).append(outcome.scale)
    out = []
    for s in sessions:
        scales = due.get(s.number)
        if scales:
            s = PlannedSession(
                **{f: getattr(s, f) for f in PlannedSession.__slots__ if f != "scales_due"},
                scales_due=tuple(dict.fromkeys(scales)),
            )
        out.append(s)
    return out
