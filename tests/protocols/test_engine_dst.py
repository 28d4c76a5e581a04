"""The planning engine across daylight-saving changes: wall-clock times stay put, UTC moves.

Dates used (2025): New York springs forward Sun 9 Mar 02:00 -> 03:00 and falls back
Sun 2 Nov 02:00 -> 01:00; London springs forward Sun 30 Mar 01:00 -> 02:00 and falls back
Sun 26 Oct 02:00 -> 01:00.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from protocols.engine import plan_course
from tests.protocols.engine_support import LONDON, NEW_YORK, calendar, check_plan, spec

UTC = dt.UTC
DAILY = spec({"name": "daily", "sessions": 10, "sessions_per_week": 5}, procedure=40)


def _utc_hours(plan) -> dict[dt.date, int]:
    return {s.day: s.start_utc.hour for s in plan}


@pytest.mark.parametrize(
    ("zone", "start", "change", "before", "after"),
    [
        (NEW_YORK, dt.date(2025, 3, 3), dt.date(2025, 3, 9), 14, 13),
        (NEW_YORK, dt.date(2025, 10, 27), dt.date(2025, 11, 2), 13, 14),
        (LONDON, dt.date(2025, 3, 24), dt.date(2025, 3, 30), 9, 8),
        (LONDON, dt.date(2025, 10, 20), dt.date(2025, 10, 26), 8, 9),
    ],
    ids=["new-york-march", "new-york-november", "london-march", "london-october"],
)
def test_nine_oclock_session_stays_nine_local_across_the_change(zone, start, change, before, after):
    cal = calendar(zone)
    plan = plan_course(DAILY, start, dt.time(9, 0), cal)

    check_plan(DAILY, start, dt.time(9, 0), cal, plan)
    assert {(s.start_local.hour, s.start_local.minute) for s in plan} == {(9, 0)}
    assert {(s.end_local.hour, s.end_local.minute) for s in plan} == {(9, 40)}
    hours = _utc_hours(plan)
    assert {h for day, h in hours.items() if day < change} == {before}
    assert {h for day, h in hours.items() if day > change} == {after}
    assert len(hours) == 10


def test_new_york_course_keeps_local_time_for_a_whole_year():
    cal = calendar(NEW_YORK, weekdays=range(7))
    year = spec({"name": "weekly", "sessions": 52, "sessions_per_week": 1}, procedure=45)
    plan = plan_course(year, dt.date(2025, 1, 5), dt.time(9, 0), cal)

    assert len(plan) == 52
    assert {s.start_local.time() for s in plan} == {dt.time(9, 0)}
    assert {s.start_utc.hour for s in plan} == {13, 14}


GAP_DAY = dt.date(2025, 3, 9)  # New York: 02:00-02:59 does not exist that day


def test_preferred_time_in_the_spring_forward_gap_is_the_real_instant():
    cal = calendar(NEW_YORK, weekdays=range(7), opens=dt.time(0, 0), closes=dt.time(23, 59))
    plan = plan_course(DAILY, dt.date(2025, 3, 7), dt.time(2, 30), cal)

    by_day = {s.day: s for s in plan}
    gap = by_day[GAP_DAY]
    # 02:30 read with the offset before the change (PEP 495 fold=0) is 07:30 UTC = 03:30 EDT;
    # local and UTC describe that same instant, and the local time is one that exists.
    assert gap.start_utc == dt.datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    assert gap.start_local.replace(tzinfo=None) == dt.datetime(2025, 3, 9, 3, 30)
    assert gap.start_local.astimezone(UTC) == gap.start_utc
    assert gap.end_local.replace(tzinfo=None) == dt.datetime(2025, 3, 9, 4, 10)
    # The days around it keep 02:30 local.
    assert by_day[dt.date(2025, 3, 8)].start_local.time() == dt.time(2, 30)
    assert by_day[dt.date(2025, 3, 10)].start_local.time() == dt.time(2, 30)
    check_plan(DAILY, dt.date(2025, 3, 7), dt.time(2, 30), cal, plan)
    assert plan == plan_course(DAILY, dt.date(2025, 3, 7), dt.time(2, 30), cal)


def test_opening_hours_shortened_by_the_gap_still_hold_the_session():
    # Open 02:00-04:00 wall clock, which is only one real hour on the gap day. A 60-minute
    # session preferred at 02:30 cannot start at 03:30 EDT (it would end after 04:00), so it
    # starts at 03:00 EDT, the first real minute the site is open.
    cal = calendar(NEW_YORK, weekdays=[6], opens=dt.time(2, 0), closes=dt.time(4, 0))
    one = spec({"name": "once", "sessions": 1, "sessions_per_week": 1}, procedure=60)
    plan = plan_course(one, GAP_DAY, dt.time(2, 30), cal)

    (session,) = plan
    assert session.day == GAP_DAY
    assert session.start_utc == dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
    assert session.start_local.time() == dt.time(3, 0)
    assert session.end_local.time() == dt.time(4, 0)
    check_plan(one, GAP_DAY, dt.time(2, 30), cal, plan)


def test_opening_inside_the_gap_never_gives_a_start_before_opening():
    # Opens at 02:30, which does not exist on the gap day: the earliest wall time the site is
    # open is 03:30 (02:30 EST read forward). Preferred 01:00 moves up to opening.
    cal = calendar(NEW_YORK, weekdays=[6], opens=dt.time(2, 30), closes=dt.time(6, 0))
    one = spec({"name": "once", "sessions": 1, "sessions_per_week": 1}, procedure=30)
    (session,) = plan_course(one, GAP_DAY, dt.time(1, 0), cal)

    assert session.start_local.time() == dt.time(3, 30)
    assert session.start_utc == dt.datetime(2025, 3, 9, 7, 30, tzinfo=UTC)


def test_a_block_too_long_for_the_shortened_gap_day_moves_to_the_next_open_day():
    # 02:00-04:00 on Sundays holds a 90-minute session on every Sunday but the gap day.
    cal = calendar(NEW_YORK, weekdays=[6], opens=dt.time(2, 0), closes=dt.time(4, 0))
    one = spec({"name": "once", "sessions": 1, "sessions_per_week": 1}, procedure=90)
    (session,) = plan_course(one, GAP_DAY, dt.time(2, 0), cal)

    assert session.day == dt.date(2025, 3, 16)
    assert session.start_local.time() == dt.time(2, 0)


def test_preferred_time_in_the_repeated_hour_is_the_first_occurrence():
    cal = calendar(NEW_YORK, weekdays=range(7), opens=dt.time(0, 0), closes=dt.time(23, 59))
    one = spec({"name": "once", "sessions": 1, "sessions_per_week": 1}, procedure=60)
    (session,) = plan_course(one, dt.date(2025, 11, 2), dt.time(1, 30), cal)

    # 01:30 happens twice; fold=0 is the first (EDT, 05:30 UTC). The session runs an hour of
    # real time, so it ends at 01:30 again, now EST.
    assert session.start_utc == dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    assert (session.start_local.time(), session.start_local.fold) == (dt.time(1, 30), 0)
    assert session.end_utc == dt.datetime(2025, 11, 2, 6, 30, tzinfo=UTC)
    assert (session.end_local.time(), session.end_local.fold) == (dt.time(1, 30), 1)


def test_observation_window_over_the_london_change_is_elapsed_time():
    cal = calendar(LONDON, weekdays=range(7), opens=dt.time(0, 0), closes=dt.time(23, 59))
    esk = spec(
        {"name": "dose", "sessions": 1, "sessions_per_week": 1},
        procedure=20,
        observation=120,
        modality="esketamine",
    )
    (session,) = plan_course(esk, dt.date(2025, 3, 30), dt.time(0, 30), cal)

    # 00:30 GMT + 20 min + 2 h = 02:50 GMT = 03:50 BST: the clock skips an hour, the patient
    # is still observed for the full two hours.
    assert session.start_local.time() == dt.time(0, 30)
    assert session.observation_end_utc - session.end_utc == dt.timedelta(hours=2)
    assert session.observation_end_local.time() == dt.time(3, 50)


def test_accelerated_day_across_the_fall_back_keeps_real_gaps():
    cal = calendar(LONDON, weekdays=range(7), opens=dt.time(0, 0), closes=dt.time(23, 59))
    accelerated = spec(
        {
            "name": "saint",
            "sessions": 5,
            "sessions_per_week": 5,
            "sessions_per_day": 5,
            "min_minutes_between_starts": 50,
        },
        procedure=10,
    )
    plan = plan_course(accelerated, dt.date(2025, 10, 26), dt.time(0, 0), cal)

    starts = [s.start_utc for s in plan]
    assert [b - a for a, b in pairwise(starts)] == [dt.timedelta(minutes=50)] * 4
    # Wall clock 00:00, 00:50, 01:40 (BST), 01:30, 02:20 (GMT): it repeats, real time does not.
    assert [s.start_local.strftime("%H:%M") for s in plan] == [
        "00:00",
        "00:50",
        "01:40",
        "01:30",
        "02:20",
    ]
    check_plan(accelerated, dt.date(2025, 10, 26), dt.time(0, 0), cal, plan)
