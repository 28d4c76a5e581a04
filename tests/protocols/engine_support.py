"""Helpers shared by the planning-engine tests: calendars, specs, and an independent checker.

`check_plan` restates every rule the engine promises (module docstring of protocols/engine.py)
from the spec and the calendar alone, without reusing engine code, so a test that calls it fails
when the engine breaks any of them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from clinic.calendar import SiteCalendar
from protocols.engine import PlannedSession
from protocols.spec import WEEKDAY_INDEX, ProtocolSpec, parse_spec

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def calendar(
    zone: ZoneInfo = NEW_YORK,
    *,
    weekdays: range | list[int] = range(5),
    opens: dt.time = dt.time(8, 0),
    closes: dt.time = dt.time(18, 0),
    closed: dict[dt.date, str] | None = None,
) -> SiteCalendar:
    return SiteCalendar(
        zone=zone, hours={wd: (opens, closes) for wd in weekdays}, closed=dict(closed or {})
    )


def spec(
    *phases: dict[str, Any],
    procedure: int = 40,
    observation: int = 0,
    outcomes: list[dict[str, Any]] | None = None,
    modality: str = "tms",
) -> ProtocolSpec:
    return parse_spec(
        {
            "modality": modality,
            "phases": list(phases),
            "timing": {
                "procedure_minutes": procedure,
                "observation_minutes": observation,
                "procedure_holds": ["tms_chair"],
            },
            "outcomes": outcomes or [],
        }
    )


def standard_tms(**kwargs: Any) -> ProtocolSpec:
    """30 acute sessions at 5 a week, then a taper of 3, 2, 1 (docs/clinical.md section 1)."""
    return spec(
        {"name": "acute", "sessions": 30, "sessions_per_week": 5},
        {"name": "taper-3", "sessions": 3, "sessions_per_week": 3},
        {"name": "taper-2", "sessions": 2, "sessions_per_week": 2},
        {"name": "taper-1", "sessions": 1, "sessions_per_week": 1},
        **kwargs,
    )


def minute_of(t: dt.datetime | dt.time) -> int:
    return t.hour * 60 + t.minute


def iso_week(day: dt.date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def offset_changes(zone: ZoneInfo, day: dt.date) -> bool:
    """Whether the zone's UTC offset changes during `day` (a DST change day)."""
    midnight = dt.datetime(day.year, day.month, day.day)
    return zone.utcoffset(midnight) != zone.utcoffset(midnight + dt.timedelta(days=1))


def expected_scales(spec: ProtocolSpec, plan: list[PlannedSession]) -> dict[int, tuple[str, ...]]:
    """OutcomeSchedule semantics restated over a whole course: number -> scales due."""
    due: dict[int, list[str]] = defaultdict(list)
    if not plan:
        return {}
    last = plan[-1].number
    first_of_phase: dict[str, int] = {}
    first_of_week: dict[tuple[int, int], int] = {}
    for s in plan:
        first_of_phase.setdefault(s.phase, s.number)
        first_of_week.setdefault(iso_week(s.day), s.number)
    for outcome in spec.outcomes:
        numbers = set()
        if outcome.baseline:
            numbers.add(1)
        if outcome.end:
            numbers.add(last)
        if outcome.every_sessions:
            numbers.update(n for n in range(1, last + 1) if n % outcome.every_sessions == 0)
        if outcome.weekly:
            numbers.update(first_of_week.values())
        numbers.update(first_of_phase[p] for p in outcome.phase_starts if p in first_of_phase)
        for n in numbers:
            if outcome.scale not in due[n]:
                due[n].append(outcome.scale)
    return {n: tuple(scales) for n, scales in due.items()}


def check_plan(
    spec: ProtocolSpec,
    start: dt.date,
    preferred: dt.time,
    cal: SiteCalendar,
    plan: list[PlannedSession],
) -> None:
    """Assert every invariant of a complete plan (see the module docstring)."""
    zone = cal.zone
    timing = spec.timing
    procedure = dt.timedelta(minutes=timing.procedure_minutes)
    observation = dt.timedelta(minutes=timing.observation_minutes)

    # Exactly the course, numbered 1..N in order, phase by phase, never fewer.
    assert len(plan) == spec.total_sessions
    assert [s.number for s in plan] == list(range(1, len(plan) + 1))
    per_phase = Counter(s.phase_index for s in plan)
    for index, phase in enumerate(spec.phases):
        assert per_phase[index] == phase.total_sessions
    assert [s.phase_index for s in plan] == sorted(s.phase_index for s in plan)
    for index in per_phase:
        in_phase = [s for s in plan if s.phase_index == index]
        assert [s.number_in_phase for s in in_phase] == list(range(1, len(in_phase) + 1))
        assert {s.phase for s in in_phase} == {spec.phases[index].name}

    for s in plan:
        phase = spec.phases[s.phase_index]
        # Open day, inside opening hours in local wall-clock time.
        assert s.day >= start
        assert s.day not in cal.closed
        assert s.day.weekday() in cal.hours
        opens, closes = cal.hours[s.day.weekday()]
        assert s.start_local.date() == s.day
        assert s.observation_end_local.date() == s.day
        assert minute_of(opens) <= minute_of(s.start_local)
        assert minute_of(s.end_local) <= minute_of(closes)
        assert minute_of(s.observation_end_local) <= minute_of(closes)
        # Fixed weekdays.
        if phase.weekdays is not None:
            assert s.day.weekday() in {WEEKDAY_INDEX[d] for d in phase.weekdays}
        # UTC and local are the same instants; locals are real wall times of the site's zone.
        assert s.start_local.tzinfo is zone and s.start_utc.tzinfo is UTC
        # (astimezone, not ==: PEP 495 makes inter-zone == false for a wall time that repeats.)
        assert s.start_local.astimezone(UTC) == s.start_utc
        assert s.end_local.astimezone(UTC) == s.end_utc
        assert s.observation_end_local.astimezone(UTC) == s.observation_end_utc
        for local, utc in (
            (s.start_local, s.start_utc),
            (s.end_local, s.end_utc),
            (s.observation_end_local, s.observation_end_utc),
        ):
            canonical = utc.astimezone(zone)
            assert (local.replace(tzinfo=None), local.fold) == (
                canonical.replace(tzinfo=None),
                canonical.fold,
            )
        # Durations are elapsed time.
        assert s.end_utc - s.start_utc == procedure
        assert s.observation_end_utc - s.end_utc == observation

    # Order, same-day spacing, no overlap.
    for a, b in pairwise(plan):
        assert a.start_utc < b.start_utc
        assert a.day <= b.day
        if a.day == b.day:
            phase = spec.phases[b.phase_index]
            assert a.phase_index == b.phase_index, "a day belongs to one phase"
            assert b.start_utc - a.start_utc >= dt.timedelta(
                minutes=phase.min_minutes_between_starts
            )
            assert b.start_utc >= a.observation_end_utc

    # Spacing between consecutive treatment days, by the later day's phase.
    days: list[tuple[dt.date, int]] = []
    for s in plan:
        if not days or days[-1][0] != s.day:
            days.append((s.day, s.phase_index))
    for (prev, _), (day, index) in pairwise(days):
        phase = spec.phases[index]
        gap = (day - prev).days
        assert gap >= max(phase.effective_min_days_between, 1)
        if phase.max_days_between is not None:
            assert gap <= phase.max_days_between

    # Cadence: treatment days per ISO week per phase, sessions per day.
    week_days: Counter[tuple[int, tuple[int, int]]] = Counter(
        (index, iso_week(day)) for day, index in days
    )
    for (index, _), count in week_days.items():
        assert count <= spec.phases[index].per_week
    per_day = Counter(s.day for s in plan)
    for s in plan:
        assert per_day[s.day] <= spec.phases[s.phase_index].sessions_per_day

    # Each day starts at the preferred time, moved only to stay inside opening hours.
    # (A DST change day is laid out on real instants instead; see the engine docstring.)
    by_day: dict[dt.date, list[PlannedSession]] = defaultdict(list)
    for s in plan:
        by_day[s.day].append(s)
    for day, sessions in by_day.items():
        if offset_changes(zone, day):
            continue
        open_minute, close_minute = (minute_of(t) for t in cal.hours[day.weekday()])
        phase = spec.phases[sessions[0].phase_index]
        span = (len(sessions) - 1) * phase.min_minutes_between_starts + (
            timing.procedure_minutes + timing.observation_minutes
        )
        first = max(minute_of(preferred), open_minute)
        if first + span > close_minute:
            first = close_minute - span
        assert minute_of(sessions[0].start_local) == first

    # Outcome scales.
    wanted = expected_scales(spec, plan)
    assert {s.number: s.scales_due for s in plan if s.scales_due} == wanted
