"""protocols/spacing.py: the one spacing predicate, its typed rule codes (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from protocols.spacing import Previous, SpacingRule, day_violation, spacing_violation
from protocols.spec import Phase
from tests.support.clock import local

UTC = dt.UTC
MON = dt.date(2026, 3, 2)


def prev(day: dt.date, hour: int = 9, number: int = 1) -> Previous:
    return Previous(number=number, start=local(UTC, day, f"{hour:02d}:00"), day=day)


def rule(
    phase: Phase, p: Previous | None, start: dt.datetime, week: frozenset[dt.date] = frozenset()
):
    v = spacing_violation(phase, p, start, start.date(), set(week))
    return v.rule if v else None


ECT = Phase(name="acute", sessions=12, weekdays=["mon", "wed", "fri"], max_days_between=7)
ESK = Phase(name="induction", sessions=8, sessions_per_week=2)
SAINT = Phase(
    name="saint",
    sessions=50,
    sessions_per_week=5,
    sessions_per_day=10,
    min_minutes_between_starts=50,
)
DAILY = Phase(name="acute", sessions=30, sessions_per_week=5)


@pytest.mark.parametrize(
    ("phase", "previous", "start", "week", "expected"),
    [
        (ECT, None, local(UTC, MON + dt.timedelta(days=1), "09:00"), set(), SpacingRule.WEEKDAY),
        (
            ESK,
            prev(MON),
            local(UTC, MON + dt.timedelta(days=3), "09:00"),
            {MON, MON + dt.timedelta(days=1)},
            SpacingRule.WEEKLY_QUOTA,
        ),
        (DAILY, prev(MON, 10), local(UTC, MON, "09:00"), set(), SpacingRule.ORDER),
        (DAILY, prev(MON, 9), local(UTC, MON, "11:00"), set(), SpacingRule.SAME_DAY),
        (SAINT, prev(MON, 9), local(UTC, MON, "09:30"), set(), SpacingRule.SAME_DAY_GAP),
        (
            ESK,
            prev(MON),
            local(UTC, MON + dt.timedelta(days=1), "09:00"),
            set(),
            SpacingRule.MIN_DAYS,
        ),
        (
            ECT,
            prev(MON),
            local(UTC, MON + dt.timedelta(days=9), "09:00"),
            set(),
            SpacingRule.MAX_DAYS,
        ),
        (SAINT, prev(MON, 9), local(UTC, MON, "09:50"), set(), None),
        (ESK, prev(MON), local(UTC, MON + dt.timedelta(days=3), "09:00"), {MON}, None),
        (ECT, prev(MON), local(UTC, MON + dt.timedelta(days=2), "09:00"), {MON}, None),
    ],
)
def test_each_rule_has_its_own_code(phase, previous, start, week, expected):
    assert rule(phase, previous, start, week) == expected


def test_the_message_is_for_people_and_names_the_rule_values():
    v = spacing_violation(
        ECT,
        prev(MON),
        local(UTC, MON + dt.timedelta(days=9), "09:00"),
        MON + dt.timedelta(days=9),
        set(),
    )
    assert v is not None and "at most 7 day(s)" in v.message


def test_a_day_already_treated_that_week_does_not_count_against_the_quota():
    wed = MON + dt.timedelta(days=2)
    assert day_violation(
        ESK, wed, prev_number=1, prev_day=MON - dt.timedelta(days=4), days_this_week=2
    )
    assert (
        spacing_violation(
            ESK, prev(MON - dt.timedelta(days=4)), local(UTC, wed, "09:00"), wed, {MON, wed}
        )
        is None
    )


def test_the_engine_stops_on_the_max_days_code_not_on_wording(monkeypatch):
    """The engine acts on SpacingRule.MAX_DAYS: a reworded message changes nothing."""
    from clinic.calendar import SiteCalendar
    from protocols import engine, spacing
    from protocols.spec import parse_spec

    real = spacing.day_violation

    def reworded(*args, **kwargs):
        v = real(*args, **kwargs)
        return spacing.SpacingViolation(v.rule, "reworded") if v else None

    monkeypatch.setattr(engine, "day_violation", reworded)
    spec = parse_spec(
        {
            "modality": "ect",
            "phases": [{"name": "a", "sessions": 3, "weekdays": ["mon"], "max_days_between": 7}],
            "timing": {"procedure_minutes": 30, "procedure_holds": ["ect_suite"]},
        }
    )
    hours = {0: (dt.time(8), dt.time(18))}
    closed = {MON + dt.timedelta(days=7): "closed for works"}
    calendar = SiteCalendar(zone=dt.UTC, hours=hours, closed=closed)  # type: ignore[arg-type]
    with pytest.raises(engine.PlanningError) as err:
        engine.plan_course(spec, MON, dt.time(9), calendar)
    assert err.value.rule == "max_days_between"
