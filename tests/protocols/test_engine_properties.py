"""Property tests of the planning engine over random valid specs, starts and calendars.

Every plan is checked against the rules restated in tests/protocols/engine_support.py:
open days only, inside opening hours (local wall clock), ordered and numbered 1..N, exactly the
course or a PlanningError (never fewer), day spacing, weekly cadence, same-day spacing without
overlap, fixed weekdays, UTC == local, outcome scales, and determinism. Hypothesis runs
derandomized (a fixed seed per test) so CI sees the same examples every run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.calendar import SiteCalendar
from protocols.engine import PlanningError, ResumePoint, plan_course
from protocols.spec import ProtocolSpec, parse_spec
from tests.protocols.engine_support import check_plan, iso_week, offset_changes

# New York and London for DST in both directions on different dates; Lord Howe shifts by 30
# minutes; Havana changes at midnight; UTC never changes.
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Havana",
    "UTC",
]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RULES = {"max_days_between", "sessions_per_day", "opening_hours", "horizon"}

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    # The only function-scoped fixture is the suite's autouse PostgreSQL-marker guard, which
    # keeps no state between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _effective_min(phase: dict[str, Any]) -> int:
    # Restated from the spec docs: the default spacing for N sessions a week.
    if phase.get("min_days_between") is not None:
        return phase["min_days_between"]
    if "weekdays" in phase:
        return 1
    return {1: 7, 2: 3, 3: 2}.get(phase["sessions_per_week"], 1)


@st.composite
def phase_dicts(draw: st.DrawFn, index: int, duration: int, *, roomy: bool) -> dict[str, Any]:
    phase: dict[str, Any] = {"name": f"phase-{index}"}
    if draw(st.booleans()):
        weekdays = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
        phase["weekdays"] = weekdays
        if draw(st.booleans()):
            phase["sessions_per_week"] = draw(st.integers(1, len(weekdays)))
    else:
        phase["sessions_per_week"] = draw(st.integers(1, 7))
    if "sessions_per_week" in phase and draw(st.booleans()):
        phase["weeks"] = draw(st.integers(1, 4))
    else:
        phase["sessions"] = draw(st.integers(1, 30))
    per_day = draw(st.sampled_from([1, 1, 1, 1, 2, 3] if roomy else [1, 1, 1, 1, 1, 2, 3, 10]))
    if per_day > 1:
        phase["sessions_per_day"] = per_day
        phase["min_minutes_between_starts"] = duration + draw(st.integers(0, 60))
    if draw(st.booleans()):
        phase["min_days_between"] = draw(st.integers(0, 9))
    if not roomy and draw(st.booleans()):
        phase["max_days_between"] = max(_effective_min(phase), 1) + draw(st.integers(0, 10))
    return phase


@st.composite
def spec_dicts(draw: st.DrawFn, *, roomy: bool = False) -> dict[str, Any]:
    procedure = draw(st.integers(5, 90))
    observation = draw(st.sampled_from([0, 0, 15, 40, 120]))
    count = draw(st.integers(1, 4))
    phases = [draw(phase_dicts(i, procedure + observation, roomy=roomy)) for i in range(count)]
    names = [p["name"] for p in phases]
    outcomes = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "scale": st.sampled_from(["phq9", "gad7", "madrs", "qids_sr16"]),
                    "baseline": st.booleans(),
                    "end": st.booleans(),
                    "weekly": st.booleans(),
                    "phase_starts": st.lists(st.sampled_from(names), unique=True, max_size=2),
                },
                optional={"every_sessions": st.integers(1, 12)},
            ),
            max_size=3,
        )
    )
    return {
        "modality": draw(st.sampled_from(["tms", "ect", "esketamine"])),
        "phases": phases,
        "timing": {
            "procedure_minutes": procedure,
            "observation_minutes": observation,
            "procedure_holds": ["tms_chair"],
        },
        "outcomes": outcomes,
    }


def _time(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


def _change_days(zone: ZoneInfo) -> list[dt.date]:
    """The days a zone's UTC offset changes, 2025-2030."""
    first = dt.date(2025, 1, 1)
    days = (first + dt.timedelta(days=k) for k in range(6 * 366))
    return [day for day in days if offset_changes(zone, day)]


CHANGE_DAYS = {name: _change_days(ZoneInfo(name)) for name in ZONES}


@st.composite
def calendars(draw: st.DrawFn, start: dt.date, zone: ZoneInfo) -> SiteCalendar:
    style = draw(st.sampled_from(["clinic", "any", "all-day"]))
    hours = {}
    for weekday in range(7):
        if draw(st.integers(0, 9)) >= 7:
            continue
        if style == "clinic":
            opens = draw(st.integers(6 * 12, 10 * 12)) * 5
            closes = draw(st.integers(15 * 12, 21 * 12)) * 5
        elif style == "any":
            # Any opening, including the small hours where DST changes happen.
            opens = draw(st.integers(0, 22 * 12)) * 5
            closes = draw(st.integers(opens + 30, 24 * 60 - 1))
        else:
            # Open round the clock: a preferred time may fall in a DST gap or repeat.
            opens, closes = 0, 24 * 60 - 1
        hours[weekday] = (_time(opens), _time(closes))
    offsets = draw(st.sets(st.integers(0, 400), max_size=30))
    block_at, block_len = draw(st.integers(0, 200)), draw(st.integers(0, 12))
    offsets |= set(range(block_at, block_at + block_len))
    closed = {start + dt.timedelta(days=k): "closed: test" for k in offsets}
    return SiteCalendar(zone=zone, hours=hours, closed=closed)


@st.composite
def cases(
    draw: st.DrawFn, *, roomy: bool = False
) -> tuple[ProtocolSpec, dt.date, dt.time, SiteCalendar]:
    spec = parse_spec(draw(spec_dicts(roomy=roomy)))
    zone_name = draw(st.sampled_from(ZONES))
    start = draw(st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)))
    if len(CHANGE_DAYS[zone_name]) > 0 and draw(st.booleans()):
        # Half the courses start within four weeks before a DST change, so many cross one.
        change = draw(st.sampled_from(CHANGE_DAYS[zone_name]))
        start = change - dt.timedelta(days=draw(st.integers(0, 28)))
    # Half the preferred times fall in the small hours, where DST gaps and repeats are.
    preferred = _time(draw(st.integers(0, 24 * 60 - 1) | st.integers(0, 4 * 60)))
    cal = draw(calendars(start, ZoneInfo(zone_name)))
    if roomy:
        # Open every day for 18 hours: every spec drawn with roomy=True fits.
        hours = {wd: (dt.time(5, 0), dt.time(23, 0)) for wd in range(7)}
        sparse = {day: why for day, why in cal.closed.items() if day.toordinal() % 3 == 0}
        cal = SiteCalendar(zone=cal.zone, hours=hours, closed=sparse)
    return spec, start, preferred, cal


@PROPERTY
@given(case=cases())
def test_plan_keeps_every_rule_or_says_which_it_cannot(case):
    spec, start, preferred, cal = case
    try:
        plan = plan_course(spec, start, preferred, cal)
    except PlanningError as exc:
        assert exc.rule in RULES
        assert exc.phase in {p.name for p in spec.phases}
        assert exc.day >= start
        assert exc.day.isoformat() in exc.message
        with pytest.raises(PlanningError) as again:
            plan_course(spec, start, preferred, cal)
        assert (again.value.rule, again.value.day, again.value.message) == (
            exc.rule,
            exc.day,
            exc.message,
        )
        return
    check_plan(spec, start, preferred, cal, plan)
    assert plan == plan_course(spec, start, preferred, cal)


@PROPERTY
@given(case=cases(roomy=True))
def test_plan_never_fails_when_the_calendar_has_room(case):
    spec, start, preferred, cal = case
    plan = plan_course(spec, start, preferred, cal)
    check_plan(spec, start, preferred, cal, plan)


@PROPERTY
@given(case=cases(roomy=True), cut=st.floats(0, 1))
def test_resume_at_a_day_boundary_continues_the_same_course(case, cut):
    spec, start, preferred, cal = case
    plan = plan_course(spec, start, preferred, cal)
    boundaries = [k for k in range(1, len(plan)) if plan[k - 1].day != plan[k].day]
    if not boundaries:
        # A one-day course (e.g. a single accelerated day) has nothing to resume.
        assert len({s.day for s in plan}) == 1
        return
    k = boundaries[int(cut * (len(boundaries) - 1))]
    last, nxt = plan[k - 1], plan[k]
    week_count = len(
        {
            s.day
            for s in plan[:k]
            if s.phase_index == nxt.phase_index and iso_week(s.day) == iso_week(last.day)
        }
    )
    point = ResumePoint(
        phase_index=nxt.phase_index,
        done_in_phase=nxt.number_in_phase - 1,
        last_day=last.day,
        number=k,
        week_count=week_count,
    )
    rest = plan_course(spec, last.day + dt.timedelta(days=1), preferred, cal, resume=point)
    assert rest == plan[k:]
