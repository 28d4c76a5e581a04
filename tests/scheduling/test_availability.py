"""Free-slot computation (scheduling/availability.py): pure, no database."""

import datetime as dt
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from clinic.calendar import SiteCalendar
from scheduling.availability import free_slots, local_day_bounds, merge_intervals, open_windows
from tests.support.clock import local

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
WEEKDAYS_8_TO_12 = {wd: (dt.time(8), dt.time(12)) for wd in range(5)}


def local_starts(slots, zone: ZoneInfo = NY) -> list[str]:
    return [s.start.astimezone(zone).strftime("%H:%M") for s in slots]


def test_free_day_is_cut_on_the_step_grid_and_slots_end_by_closing():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    day = dt.date(2026, 3, 2)  # a Monday
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy={},
        first=day,
        last=day,
        minutes=60,
        step_minutes=30,
    )[1]
    assert local_starts(slots) == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00"]
    assert all(s.end - s.start == dt.timedelta(minutes=60) for s in slots)
    assert slots[-1].end == local(NY, "2026-03-02", "12:00")


def test_holds_are_avoided_and_the_next_slot_starts_on_the_grid_after_a_hold():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    day = dt.date(2026, 3, 2)
    busy = {1: [(local(NY, "2026-03-02", "09:30"), local(NY, "2026-03-02", "10:20"))]}
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy=busy,
        first=day,
        last=day,
        minutes=60,
        step_minutes=15,
    )[1]
    assert local_starts(slots) == ["08:00", "08:15", "08:30", "10:30", "10:45", "11:00"]


def test_a_slot_may_start_exactly_when_a_hold_ends_and_end_when_the_next_begins():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    day = dt.date(2026, 3, 2)
    busy = {
        1: [
            (local(NY, "2026-03-02", "08:00"), local(NY, "2026-03-02", "09:00")),
            (local(NY, "2026-03-02", "10:00"), local(NY, "2026-03-02", "12:00")),
        ]
    }
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy=busy,
        first=day,
        last=day,
        minutes=60,
        step_minutes=15,
    )[1]
    assert local_starts(slots) == ["09:00"]


def test_overlapping_and_unsorted_holds_are_merged():
    a = local(NY, "2026-03-02", "09:00")
    assert merge_intervals(
        [
            (a + dt.timedelta(minutes=30), a + dt.timedelta(minutes=90)),
            (a, a + dt.timedelta(minutes=45)),
            (a + dt.timedelta(minutes=90), a + dt.timedelta(minutes=100)),
            (a + dt.timedelta(hours=3), a + dt.timedelta(hours=4)),
        ]
    ) == [
        (a, a + dt.timedelta(minutes=100)),
        (a + dt.timedelta(hours=3), a + dt.timedelta(hours=4)),
    ]


def test_hold_spanning_days_blocks_both_days():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    busy = {1: [(local(NY, "2026-03-02", "11:00"), local(NY, "2026-03-03", "09:00"))]}
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy=busy,
        first=dt.date(2026, 3, 2),
        last=dt.date(2026, 3, 3),
        minutes=60,
        step_minutes=60,
    )[1]
    assert [s.start.astimezone(NY).strftime("%d %H:%M") for s in slots] == [
        "02 08:00",
        "02 09:00",
        "02 10:00",
        "03 09:00",
        "03 10:00",
        "03 11:00",
    ]


def test_closed_days_weekends_and_holidays_have_no_slots():
    calendar = SiteCalendar(
        zone=NY, hours=WEEKDAYS_8_TO_12, closed={dt.date(2026, 3, 4): "closed: training"}
    )
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy={},
        first=dt.date(2026, 3, 4),  # Wednesday (closed) .. Sunday
        last=dt.date(2026, 3, 8),
        minutes=240,
        step_minutes=15,
    )[1]
    assert [s.start.astimezone(NY).date() for s in slots] == [
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 6),
    ]


def test_each_resource_has_its_own_holds_and_every_resource_is_listed():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    day = dt.date(2026, 3, 2)
    busy = {1: [(local(NY, "2026-03-02", "08:00"), local(NY, "2026-03-02", "12:00"))]}
    result = free_slots(
        calendar=calendar,
        resource_ids=[1, 2],
        busy=busy,
        first=day,
        last=day,
        minutes=120,
        step_minutes=120,
    )
    assert list(result) == [1, 2]
    assert result[1] == []
    assert local_starts(result[2]) == ["08:00", "10:00"]


def test_no_slot_starts_before_now():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    day = dt.date(2026, 3, 2)
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy={},
        first=day,
        last=day,
        minutes=30,
        step_minutes=30,
        not_before=local(NY, "2026-03-02", "10:10"),
    )[1]
    assert local_starts(slots) == ["10:30", "11:00", "11:30"]


def test_opening_hours_keep_their_wall_clock_time_across_spring_forward():
    every_day = {wd: (dt.time(8), dt.time(10)) for wd in range(7)}
    calendar = SiteCalendar(zone=NY, hours=every_day)
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy={},
        first=dt.date(2026, 3, 7),  # EST (UTC-5)
        last=dt.date(2026, 3, 8),  # clocks go forward at 02:00: EDT (UTC-4)
        minutes=120,
        step_minutes=60,
    )[1]
    assert [s.start for s in slots] == [
        dt.datetime(2026, 3, 7, 13, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (dt.date(2026, 3, 8), 5),  # 00:00-06:00 local is 5 hours: 02:00-03:00 does not exist
        (dt.date(2026, 11, 1), 7),  # ... and 7 hours when 01:00-02:00 happens twice
        (dt.date(2026, 3, 9), 6),
    ],
)
def test_slots_are_true_durations_when_the_clocks_change_inside_opening_hours(day, hours):
    night = {wd: (dt.time(0), dt.time(6)) for wd in range(7)}
    calendar = SiteCalendar(zone=NY, hours=night)
    slots = free_slots(
        calendar=calendar,
        resource_ids=[1],
        busy={},
        first=day,
        last=day,
        minutes=60,
        step_minutes=60,
    )[1]
    assert len(slots) == hours
    assert all(s.end - s.start == dt.timedelta(hours=1) for s in slots)
    assert all(a.end == b.start for a, b in pairwise(slots))


def test_local_day_bounds_are_23_and_25_hours_on_dst_days():
    start, end = local_day_bounds(dt.date(2026, 3, 8), NY)
    assert start == dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert end - start == dt.timedelta(hours=23)
    start, end = local_day_bounds(dt.date(2026, 11, 1), NY)
    assert end - start == dt.timedelta(hours=25)


def test_open_windows_skip_days_without_opening_hours():
    calendar = SiteCalendar(zone=NY, hours={0: (dt.time(9), dt.time(17))})
    windows = open_windows(calendar, dt.date(2026, 3, 2), dt.date(2026, 3, 15))
    assert [w.day for w in windows] == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]


def test_nonpositive_lengths_are_rejected():
    calendar = SiteCalendar(zone=NY, hours=WEEKDAYS_8_TO_12)
    with pytest.raises(ValueError, match="positive"):
        free_slots(
            calendar=calendar,
            resource_ids=[1],
            busy={},
            first=dt.date(2026, 3, 2),
            last=dt.date(2026, 3, 2),
            minutes=0,
            step_minutes=15,
        )
