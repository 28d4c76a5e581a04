"""The pure placement core (scheduling/booking.py): no database, plain data only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from clinic.calendar import SiteCalendar
from protocols.engine import plan_course
from protocols.spec import parse_spec
from scheduling.placement import Placer, Timeline, place_course
from tests.support.clock import local

NY = ZoneInfo("America/New_York")
HOURS = {wd: (dt.time(8), dt.time(18)) for wd in range(5)}
CAL = SiteCalendar(zone=NY, hours=HOURS)
MONDAY = dt.date(2026, 3, 2)
PAST = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def placer(spec, resources, busy=None, patient=None, calendar=CAL) -> Placer:
    timelines = {rid: Timeline() for ids in resources.values() for rid in ids}
    for rid, intervals in (busy or {}).items():
        for start, end, label in intervals:
            timelines[rid].add(start, end, label)
    person = Timeline()
    for start, end, label in patient or []:
        person.add(start, end, label)
    return Placer(
        timing=spec.timing,
        calendar=calendar,
        resources=resources,
        resource_busy=timelines,
        patient_busy=person,
        not_before=PAST,
        window_end=dt.date(2027, 12, 31),
    )


def run(spec, p, start=MONDAY, preferred=dt.time(9)):
    return place_course(
        planner=lambda day, resume: plan_course(spec, day, preferred, CAL, resume=resume),
        placer=p,
        phases=spec.phases,
        start=start,
    )


TMS = parse_spec(
    {
        "modality": "tms",
        "phases": [{"name": "acute", "sessions": 10, "sessions_per_week": 5}],
        "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
    }
)
ESK = parse_spec(
    {
        "modality": "esketamine",
        "phases": [{"name": "induction", "sessions": 4, "sessions_per_week": 2}],
        "timing": {
            "procedure_minutes": 15,
            "observation_minutes": 120,
            "procedure_holds": ["monitoring_chair"],
            "observation_holds": ["monitoring_chair"],
        },
    }
)


def test_timeline_half_open_intervals_touching_do_not_conflict():
    t = Timeline()
    t.add(local(NY, MONDAY, "09:00"), local(NY, MONDAY, "10:00"), "a")
    assert t.conflict(local(NY, MONDAY, "10:00"), local(NY, MONDAY, "11:00")) is None
    assert t.conflict(local(NY, MONDAY, "08:00"), local(NY, MONDAY, "09:00")) is None
    assert t.conflict(local(NY, MONDAY, "09:59"), local(NY, MONDAY, "11:00")) == "a"
    assert t.conflict(local(NY, MONDAY, "09:59"), local(NY, MONDAY, "11:00"), ignore={"a"}) is None


def test_a_kind_held_in_both_parts_is_one_resource_for_the_whole_window():
    # Chair 1 is free for the dose but taken during observation; chair 2 is free throughout.
    p = placer(
        ESK,
        {"monitoring_chair": [1, 2]},
        busy={1: [(local(NY, MONDAY, "10:00"), local(NY, MONDAY, "10:30"), "x")]},
    )
    result = run(ESK, p)
    first = result.placements[0]
    assert {h.resource_id for h in first.holds} == {2}
    assert [h.part for h in first.holds] == ["procedure", "observation"]


def test_nearest_free_time_ties_go_earlier_and_the_course_keeps_its_chair():
    p = placer(
        TMS,
        {"tms_chair": [1]},
        busy={
            1: [
                (
                    local(NY, MONDAY + dt.timedelta(1), "09:00"),
                    local(NY, MONDAY + dt.timedelta(1), "09:40"),
                    "other",
                )
            ]
        },
    )
    result = run(TMS, p)
    starts = [pl.start for pl in result.placements]
    assert starts[1] == local(NY, MONDAY + dt.timedelta(1), "08:20")
    assert starts[0] == local(NY, MONDAY, "09:00") and starts[2] == local(
        NY, MONDAY + dt.timedelta(2), "09:00"
    )


def test_the_patients_own_other_session_is_avoided_too():
    p = placer(
        TMS,
        {"tms_chair": [1, 2]},
        patient=[(local(NY, MONDAY, "08:00"), local(NY, MONDAY, "11:00"), 99)],
    )
    result = run(TMS, p)
    assert result.placements[0].start == local(NY, MONDAY, "11:00")


def test_a_full_day_shifts_the_rest_of_the_course_keeping_the_weekly_quota():
    busy_day = MONDAY + dt.timedelta(days=4)  # Friday
    p = placer(
        TMS,
        {"tms_chair": [1]},
        busy={1: [(local(NY, busy_day, "08:00"), local(NY, busy_day, "18:00"), "x")]},
    )
    result = run(TMS, p)
    days = [pl.day for pl in result.placements]
    assert busy_day not in days and len(days) == 10
    assert days[4] == MONDAY + dt.timedelta(days=7)
    weeks = [d.isocalendar()[1] for d in days]
    assert max(weeks.count(w) for w in set(weeks)) <= 5
    assert not result.unplaced


def test_no_resource_of_a_kind_is_reported_per_session():
    p = placer(TMS, {"tms_chair": []})
    assert p.missing_kinds() == ["tms_chair"]
