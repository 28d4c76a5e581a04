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
    timing = spec.timing
    duration = timing.procedure_minutes + timing.observation_minutes
    procedure = dt.timedelta(minutes=timing.procedure_minutes)
    observation = dt.timedelta(minutes=timing.observation_minutes)
    zone = calendar.zone
    hours: list[tuple[int, int] | None] = [None] * 7
    for weekday, (open_at, close_at) in calendar.hours.items():
        hours[weekday] = (minute_of_day(open_at), minute_of_day(close_at))
    closed = calendar.closed
    pref = minute_of_day(preferred)

    sessions: list[PlannedSession] = []
    append = sessions.append
    prev_day: dt.date | None = None
    number = 0
    first_phase = 0
    if resume is not None:
        prev_day, number, first_phase = resume.last_day, resume.number, resume.phase_index
    limit = start + dt.timedelta(days=HORIZON_DAYS)

    final = number + sum(p.total_sessions for p in spec.phases[first_phase:])
    if resume is not None and first_phase < len(spec.phases):
        final -= resume.done_in_phase
    scales = _ScaleSchedule(spec, final) if spec.outcomes else None
    weekly_scales = scales is not None and bool(scales.weekly)
    scale_week = -1
    if resume is not None and resume.last_day is not None:
        scale_week = resume.last_day.toordinal() - resume.last_day.weekday()
    # The zone's UTC offset all through the ISO week starting at `offset_week`, None if it changes.
    offset_week: int = -1
    week_offset: dt.timedelta | None = None

    for phase_index in range(first_phase, len(spec.phases)):
        phase = spec.phases[phase_index]
        name = phase.name
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
        gap_delta = dt.timedelta(minutes=gap_starts)
        max_gap = phase.max_days_between
        # Treatment days are distinct days: same-day sessions are what sessions_per_day is for.
        step = dt.timedelta(days=max(phase.effective_min_days_between, 1))
        allowed = weekday_mask(phase)
        longest_block_ok = _fits_somewhere(
            hours, allowed, min(per_day, total), gap_starts, duration
        )
        phase_scales = scales is not None and scales.phase_has_scales(phase_index)

        day = start if prev_day is None else max(start, prev_day + step)
        deadline = None if prev_day is None or max_gap is None else prev_day + dt.timedelta(max_gap)
        skipped: list[tuple[dt.date, str]] = []
        quota_used = f"{per_week} a week already planned that week"
        while done < total:
            if day > limit:
                raise PlanningError(
                    "horizon",
                    limit,
                    name,
                    f"phase {name!r}: no day up to {limit.isoformat()} ({HORIZON_DAYS} days after "
                    f"{start.isoformat()}) can take session {done + 1} of {total}",
                )
            weekday = day.weekday()
            monday = day.toordinal() - weekday
            if monday != week_key:
                week_key, week_count = monday, 0
            # The phase's spacing rules are protocols/spacing.py's; the engine only decides
            # where to look next when a day breaks one.
            violation = day_violation(
                phase, day, prev_number=number, prev_day=prev_day, days_this_week=week_count
            )
            if violation is not None:
                if violation.rule is SpacingRule.MAX_DAYS:
                    assert deadline is not None
                    raise _max_gap_error(phase, number + 1, prev_day, deadline, skipped)
                if violation.rule is SpacingRule.WEEKLY_QUOTA:
                    # Quota for this ISO week is used up: jump to next Monday.
                    skipped.append((day, quota_used))
                    if skips is not None:
                        skips[day] = quota_used
                    day = dt.date.fromordinal(monday + 7)
                else:
                    day += _ONE_DAY
                continue
            reason = closed.get(day)
            opening = hours[weekday]
            if reason is not None or opening is None:
                skipped.append((day, reason or SKIP_CLOSED))
                if skips is not None:
                    skips[day] = reason or SKIP_CLOSED
                day += _ONE_DAY
                continue
            count = min(per_day, total - done)
            span = (count - 1) * gap_starts + duration

            if monday != offset_week:
                offset_week, week_offset = monday, _offset_between(zone, monday, monday + 7)
            offset = week_offset
            if offset is None:
                # The week has a DST change; most of its days still have one offset.
                offset = _offset_between(zone, monday + weekday, monday + weekday + 1)
            first_utc: dt.datetime | None = None
            if offset is not None:
                opens, closes = opening
                first = max(pref, opens)
                if first + span > closes:
                    first = closes - span
                fits = first >= opens
            else:
                first_utc = _place_on_dst_day(zone, day, pref, opening, span)
                fits = first_utc is not None
            if not fits:
                if not longest_block_ok:
                    opens, closes = opening
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
                skipped.append((day, SKIP_SHORT_HOURS))
                if skips is not None:
                    skips[day] = SKIP_SHORT_HOURS
                day += _ONE_DAY
                continue

            if offset is not None:
                # No DST change today: wall-clock and elapsed time agree all day.
                base_local = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
                base_utc = dt.datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
            for i in range(count):
                if first_utc is None:
                    delta = _MINUTE[first + i * gap_starts]
                    start_local = base_local + delta
                    end_local = start_local + procedure
                    obs_local = end_local + observation
                    start_utc = base_utc + delta
                    end_utc = start_utc + procedure
                    obs_utc = end_utc + observation
                else:
                    # A DST change today: step in real time, read the wall clock back.
                    start_utc = first_utc + i * gap_delta
                    end_utc = start_utc + procedure
                    obs_utc = end_utc + observation
                    start_local = start_utc.astimezone(zone)
                    end_local = end_utc.astimezone(zone)
                    obs_local = obs_utc.astimezone(zone)
                number += 1
                done += 1
                due: tuple[str, ...] = ()
                if scales is not None:
                    new_week = weekly_scales and monday != scale_week
                    scale_week = monday
                    if new_week or number in scales.at_number or (done == 1 and phase_scales):
                        due = scales.due(number, phase_index, done == 1, new_week)
                append(
                    PlannedSession(
                        name,
                        phase_index,
                        number,
                        done,
                        day,
                        start_local,
                        end_local,
                        obs_local,
                        start_utc,
                        end_utc,
                        obs_utc,
                        due,
                    )
                )
            week_count += 1
            prev_day = day
            skipped = []
            if max_gap is not None:
                deadline = day + dt.timedelta(max_gap)
            day += step

    return sessions


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _max_gap_error(
    phase: Phase,
    number: int,
    prev_day: dt.date | None,
    deadline: dt.date,
    skipped: list[tuple[dt.date, str]],
) -> PlanningError:
    assert prev_day is not None
    reasons = [f"{day.isoformat()} {why}" for day, why in skipped if day <= deadline]
    why = f" ({'; '.join(reasons[-3:])})" if reasons else ""
    return PlanningError(
        "max_days_between",
        deadline,
        phase.name,
        f"phase {phase.name!r}: session {number} must be within {phase.max_days_between} days "
        f"of {prev_day.isoformat()}, but no day up to {deadline.isoformat()} can take it{why}",
    )


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


def _fits_somewhere(
    hours: list[tuple[int, int] | None],
    allowed: tuple[bool, ...],
    count: int,
    gap_starts: int,
    duration: int,
) -> bool:
    span = (count - 1) * gap_starts + duration
    return any(
        allowed[wd] and opening is not None and opening[1] - opening[0] >= span
        for wd, opening in enumerate(hours)
    )


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
        self.at_phase_start = [
            {i for i, o in enumerate(outcomes) if phase.name in o.phase_starts}
            for phase in spec.phases
        ]

    def phase_has_scales(self, phase_index: int) -> bool:
        return bool(self.at_phase_start[phase_index])

    def due(
        self, number: int, phase_index: int, first_in_phase: bool, new_week: bool
    ) -> tuple[str, ...]:
        indexes = set(self.at_number.get(number, ()))
        if first_in_phase:
            indexes |= self.at_phase_start[phase_index]
        if new_week:
            indexes |= self.weekly
        return tuple(dict.fromkeys(self.names[i] for i in sorted(indexes)))
