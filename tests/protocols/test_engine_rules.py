"""The planning engine's rules on hand-made specs and calendars (docs/clinical.md examples)."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from protocols.engine import HORIZON_DAYS, PlanningError, ResumePoint, plan_course
from tests.protocols.engine_support import (
    NEW_YORK,
    calendar,
    check_plan,
    iso_week,
    spec,
    standard_tms,
)

NINE = dt.time(9, 0)
MONDAY = dt.date(2025, 6, 2)


def _days(plan) -> list[dt.date]:
    return sorted({s.day for s in plan})


def _us_holidays(year: int) -> dict[dt.date, str]:
    return {
        d: f"public holiday: {n}" for d, n in holidays.country_holidays("US", years=year).items()
    }


def test_standard_tms_with_a_holiday_in_week_two_gives_36_sessions_on_open_weekdays():
    start = dt.date(2025, 1, 13)  # Monday; Martin Luther King Jr. Day is Monday 20 January
    cal = calendar(NEW_YORK, closed=_us_holidays(2025))
    tms = standard_tms()
    plan = plan_course(tms, start, NINE, cal)

    check_plan(tms, start, NINE, cal, plan)
    assert len(plan) == 36
    assert dt.date(2025, 1, 20) not in _days(plan)
    assert all(day.weekday() < 5 for day in _days(plan))
    acute = [s for s in plan if s.phase == "acute"]
    # Week 2 loses the holiday (4 sessions), nothing is doubled up, the phase runs a day longer.
    assert [s.day for s in acute if iso_week(s.day) == iso_week(dt.date(2025, 1, 20))] == [
        dt.date(2025, 1, 21),
        dt.date(2025, 1, 22),
        dt.date(2025, 1, 23),
        dt.date(2025, 1, 24),
    ]
    # Presidents' Day (17 Feb) is skipped too: session 30 falls on Tuesday 25 February.
    assert acute[-1].day == dt.date(2025, 2, 25)
    assert {s.start_local.time() for s in plan} == {NINE}


def test_closure_in_a_five_a_week_phase_extends_the_phase():
    acute = spec({"name": "acute", "sessions": 30, "sessions_per_week": 5})
    closure = {MONDAY + dt.timedelta(days=k): "closed: building work" for k in (9, 10, 11)}
    open_plan = plan_course(acute, MONDAY, NINE, calendar())
    plan = plan_course(acute, MONDAY, NINE, calendar(closed=closure))

    assert len(open_plan) == len(plan) == 30
    assert open_plan[-1].day == dt.date(2025, 7, 11)  # six full weeks
    assert not set(closure) & set(_days(plan))
    week_two = [s.day for s in plan if iso_week(s.day) == iso_week(dt.date(2025, 6, 11))]
    assert week_two == [dt.date(2025, 6, 9), dt.date(2025, 6, 10)]
    # Three lost weekdays are added at the end: Mon-Wed of week seven.
    assert plan[-1].day == dt.date(2025, 7, 16)
    check_plan(acute, MONDAY, NINE, calendar(closed=closure), plan)


ECT = spec(
    {
        "name": "acute",
        "sessions": 12,
        "weekdays": ["mon", "wed", "fri"],
        "min_days_between": 2,
        "max_days_between": 4,
    },
    procedure=30,
    observation=60,
    modality="ect",
)


def test_ect_mon_wed_fri_series_is_planned_on_those_days():
    start = dt.date(2025, 3, 3)
    plan = plan_course(ECT, start, dt.time(7, 30), calendar())

    assert [d.strftime("%a") for d in _days(plan)] == ["Mon", "Wed", "Fri"] * 4
    check_plan(ECT, start, dt.time(7, 30), calendar(), plan)


def test_ect_five_day_closure_breaks_max_days_between_and_names_the_day():
    # Session 4 is Monday 10 March; the site is shut Tuesday 11 to Saturday 15 March, so the
    # fifth treatment cannot happen by Friday 14 March (4 days later).
    closure = {
        dt.date(2025, 3, 11) + dt.timedelta(days=k): "closed: staff training" for k in range(5)
    }
    with pytest.raises(PlanningError) as caught:
        plan_course(ECT, dt.date(2025, 3, 3), dt.time(7, 30), calendar(closed=closure))

    error = caught.value
    assert error.rule == "max_days_between"
    assert error.day == dt.date(2025, 3, 14)
    assert error.phase == "acute"
    assert error.message == (
        "phase 'acute': session 5 must be within 4 days of 2025-03-10, but no day up to "
        "2025-03-14 can take it (2025-03-12 closed: staff training; "
        "2025-03-14 closed: staff training)"
    )


def test_max_days_between_names_a_used_up_weekly_quota():
    weekly = spec(
        {
            "name": "weekly",
            "sessions": 3,
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "sessions_per_week": 1,
            "min_days_between": 1,
            "max_days_between": 3,
        }
    )
    with pytest.raises(PlanningError) as caught:
        plan_course(weekly, MONDAY, NINE, calendar())

    assert caught.value.rule == "max_days_between"
    assert caught.value.day == dt.date(2025, 6, 5)
    assert "1 a week already planned that week" in caught.value.message


SAINT = {
    "name": "accelerated",
    "sessions": 50,
    "sessions_per_week": 5,
    "sessions_per_day": 10,
    "min_minutes_between_starts": 50,
}


def test_accelerated_ten_a_day_fit_a_long_clinic_day():
    saint = spec(SAINT, procedure=10)
    plan = plan_course(saint, MONDAY, NINE, calendar())

    assert len(_days(plan)) == 5 and len(plan) == 50
    first_day = [s.start_local.strftime("%H:%M") for s in plan[:10]]
    assert first_day[0] == "09:00" and first_day[-1] == "16:30"
    check_plan(saint, MONDAY, NINE, calendar(), plan)


def test_ten_sessions_a_day_that_do_not_fit_opening_hours_name_the_rule_and_day():
    saint = spec(SAINT, procedure=10)
    short_days = calendar(opens=dt.time(9, 0), closes=dt.time(15, 0))
    saturday = dt.date(2025, 5, 31)  # closed: the first day it can try is Monday 2 June
    with pytest.raises(PlanningError) as caught:
        plan_course(saint, saturday, NINE, short_days)

    error = caught.value
    assert (error.rule, error.day, error.phase) == ("sessions_per_day", MONDAY, "accelerated")
    assert error.message == (
        "phase 'accelerated': 10 session(s) of 10 min 50 min apart need 460 min but 2025-06-02 "
        "is open only 360 min (09:00-15:00)"
    )


def test_a_session_longer_than_any_opening_breaks_opening_hours():
    long = spec({"name": "long", "sessions": 2, "sessions_per_week": 2}, procedure=240)
    with pytest.raises(PlanningError) as caught:
        plan_course(long, MONDAY, NINE, calendar(opens=dt.time(9, 0), closes=dt.time(12, 0)))

    assert (caught.value.rule, caught.value.day) == ("opening_hours", MONDAY)


def test_a_weekday_the_site_never_opens_runs_out_of_horizon():
    saturdays = spec({"name": "sat", "sessions": 2, "weekdays": ["sat"]})
    with pytest.raises(PlanningError) as caught:
        plan_course(saturdays, MONDAY, NINE, calendar())

    limit = MONDAY + dt.timedelta(days=HORIZON_DAYS)
    assert (caught.value.rule, caught.value.day) == ("horizon", limit)
    assert limit.isoformat() in caught.value.message


def test_preferred_time_moves_earlier_only_to_end_by_closing():
    one = spec({"name": "one", "sessions": 3, "sessions_per_week": 5}, procedure=45)
    cal = calendar(opens=dt.time(8, 0), closes=dt.time(18, 0))

    late = plan_course(one, MONDAY, dt.time(17, 16), cal)
    early = plan_course(one, MONDAY, dt.time(6, 0), cal)
    fits = plan_course(one, MONDAY, dt.time(17, 15), cal)

    assert {s.start_local.time() for s in late} == {dt.time(17, 15)}
    assert {s.end_local.time() for s in late} == {dt.time(18, 0)}
    assert {s.start_local.time() for s in early} == {dt.time(8, 0)}
    assert {s.start_local.time() for s in fits} == {dt.time(17, 15)}


def test_two_a_week_defaults_to_three_days_apart():
    twice = spec({"name": "twice", "sessions": 4, "sessions_per_week": 2})
    plan = plan_course(twice, MONDAY, NINE, calendar())

    assert [d.strftime("%a %d") for d in _days(plan)] == ["Mon 02", "Thu 05", "Mon 09", "Thu 12"]


def test_next_phase_never_starts_on_the_last_day_of_the_previous_one():
    # min_days_between 0 must not put the next phase's session on the same day at the same time.
    two = spec(
        {"name": "first", "sessions": 2, "sessions_per_week": 5},
        {"name": "second", "sessions": 2, "sessions_per_week": 5, "min_days_between": 0},
    )
    plan = plan_course(two, MONDAY, NINE, calendar())

    assert [s.day.day for s in plan] == [2, 3, 4, 5]
    check_plan(two, MONDAY, NINE, calendar(), plan)


def test_resume_point_continues_the_course_where_it_stopped():
    cal = calendar(NEW_YORK, closed=_us_holidays(2025))
    tms = standard_tms()
    full = plan_course(tms, MONDAY, NINE, cal)
    # Sessions 1-11 happened (session 11 on Monday 16 June); continue from Tuesday.
    point = ResumePoint(
        phase_index=0, done_in_phase=11, last_day=full[10].day, number=11, week_count=1
    )
    rest = plan_course(tms, full[10].day + dt.timedelta(days=1), NINE, cal, resume=point)

    assert rest == full[11:]
    assert rest[0].number == 12 and rest[0].number_in_phase == 12


def test_resume_after_a_missed_week_slides_the_rest_and_keeps_the_count():
    cal = calendar(NEW_YORK, closed=_us_holidays(2025))
    tms = standard_tms()
    full = plan_course(tms, MONDAY, NINE, cal)
    point = ResumePoint(phase_index=0, done_in_phase=11, last_day=full[10].day, number=11)
    later = full[10].day + dt.timedelta(days=14)
    rest = plan_course(tms, later, NINE, cal, resume=point)

    assert len(rest) == 36 - 11
    assert rest[0].day == later and rest[0].number == 12
    assert [s.number for s in rest] == list(range(12, 37))
    assert rest[-1].day > full[-1].day


def test_resume_respects_the_weekly_quota_already_used():
    daily = spec({"name": "daily", "sessions": 10, "sessions_per_week": 3, "min_days_between": 1})
    wednesday = dt.date(2025, 6, 4)
    used = ResumePoint(phase_index=0, done_in_phase=3, last_day=wednesday, number=3, week_count=3)
    fresh = ResumePoint(phase_index=0, done_in_phase=3, last_day=wednesday, number=3)

    assert plan_course(daily, wednesday, NINE, calendar(), resume=used)[0].day == dt.date(
        2025, 6, 9
    )
    assert plan_course(daily, wednesday, NINE, calendar(), resume=fresh)[0].day == dt.date(
        2025, 6, 5
    )


SCALED = spec(
    {"name": "induction", "sessions": 6, "sessions_per_week": 3},
    {"name": "maintenance", "sessions": 4, "sessions_per_week": 1},
    outcomes=[
        {"scale": "phq9"},
        {"scale": "gad7", "baseline": False, "end": False, "every_sessions": 3},
        {"scale": "madrs", "baseline": False, "end": False, "weekly": True},
        {"scale": "qids_sr16", "baseline": False, "end": False, "phase_starts": ["maintenance"]},
        {"scale": "phq9", "baseline": False, "end": False, "weekly": True},
    ],
)
SCALED_START = dt.date(2025, 9, 8)  # Monday


def test_outcome_scales_are_due_at_baseline_every_n_weekly_phase_starts_and_end():
    plan = plan_course(SCALED, SCALED_START, NINE, calendar())

    # Induction Mon 8, Wed 10, Fri 12, Mon 15, Wed 17, Fri 19 Sep; maintenance a week apart
    # from Fri 26 Sep. phq9 appears once even when two schedules ask for it.
    assert [s.day.day for s in plan] == [8, 10, 12, 15, 17, 19, 26, 3, 10, 17]
    assert {s.number: s.scales_due for s in plan if s.scales_due} == {
        1: ("phq9", "madrs"),
        3: ("gad7",),
        4: ("madrs", "phq9"),
        6: ("gad7",),
        7: ("madrs", "qids_sr16", "phq9"),
        8: ("madrs", "phq9"),
        9: ("gad7", "madrs", "phq9"),
        10: ("phq9", "madrs"),
    }


def test_resumed_plan_keeps_the_scale_schedule_of_the_full_course():
    full = plan_course(SCALED, SCALED_START, NINE, calendar())
    point = ResumePoint(phase_index=0, done_in_phase=5, last_day=full[4].day, number=5)
    rest = plan_course(SCALED, full[4].day, NINE, calendar(), resume=point)

    assert [s.scales_due for s in rest] == [s.scales_due for s in full[5:]]


def test_phase_ends_puts_a_scale_on_the_last_session_of_the_phase():
    ended = spec(
        {"name": "induction", "sessions": 6, "sessions_per_week": 3},
        {"name": "maintenance", "sessions": 4, "sessions_per_week": 1},
        outcomes=[{"scale": "madrs", "baseline": False, "end": False, "phase_ends": ["induction"]}],
    )
    plan = plan_course(ended, SCALED_START, NINE, calendar())

    assert [s.number for s in plan if s.scales_due] == [6]
    assert plan[5].phase == "induction" and plan[6].phase == "maintenance"
