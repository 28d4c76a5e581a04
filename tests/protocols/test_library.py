"""The built-in library: every file is valid and sourced, and each protocol, planned by the
engine on a US clinic's calendar, matches docs/clinical.md."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from zoneinfo import ZoneInfo

import holidays
import pytest

from clinic.calendar import SiteCalendar
from protocols.builtin_library import LIBRARY_DIR, library_entries
from protocols.engine import PlannedSession, PlanningError, plan_course
from protocols.spec import ProtocolSpec, parse_spec

NEW_YORK = ZoneInfo("America/New_York")
NINE = dt.time(9, 0)
# Monday 2026-01-12: Martin Luther King Jr. Day (Mon 2026-01-19) falls in week 2.
MONDAY_MLK_IN_WEEK_2 = dt.date(2026, 1, 12)
MLK_DAY = dt.date(2026, 1, 19)
# Monday 2026-03-02: no US federal holiday for the next 12 weeks except Memorial Day (May 25).
QUIET_MONDAY = dt.date(2026, 3, 2)

EXPECTED_SLUGS = {
    "tms-10hz-standard",
    "tms-itbs",
    "tms-saint-accelerated",
    "tms-deep-h1",
    "ect-acute",
    "ect-continuation",
    "esketamine-trd",
}


def us_clinic(closed: dict[dt.date, str] | None = None) -> SiteCalendar:
    """New York, Mon-Fri 08:00-18:00, US federal holidays closed."""
    shut = {
        day: f"public holiday: {name}"
        for day, name in holidays.country_holidays("US", years=range(2025, 2029)).items()
    }
    shut.update(closed or {})
    hours = {wd: (dt.time(8, 0), dt.time(18, 0)) for wd in range(5)}
    return SiteCalendar(zone=NEW_YORK, hours=hours, closed=shut)


def spec_of(slug: str) -> ProtocolSpec:
    data = json.loads((LIBRARY_DIR / f"{slug}.json").read_text())
    return parse_spec(data["spec"])


def plan(slug: str, start: dt.date, calendar: SiteCalendar | None = None) -> list[PlannedSession]:
    return plan_course(spec_of(slug), start, NINE, calendar or us_clinic())


def week_of(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def gaps(sessions: list[PlannedSession]) -> list[int]:
    days = sorted({s.day for s in sessions})
    return [(b - a).days for a, b in itertools.pairwise(days)]


def by_phase(sessions: list[PlannedSession], phase: str) -> list[PlannedSession]:
    return [s for s in sessions if s.phase == phase]


# --- Files ---------------------------------------------------------------------------------


def test_library_holds_every_required_protocol():
    assert {e.slug for e in library_entries()} >= EXPECTED_SLUGS


@pytest.mark.parametrize("path", sorted(LIBRARY_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_library_file_validates_and_cites_a_source(path):
    data = json.loads(path.read_text())
    assert set(data) == {"slug", "name", "indication", "modality", "version", "spec"}
    spec = parse_spec(data["spec"])
    assert data["slug"] == path.stem
    assert data["modality"] == spec.modality.value
    assert data["name"] and data["indication"]
    assert spec.sources, "every built-in protocol cites its source"
    for source in spec.sources:
        assert source.citation
        assert source.url.startswith("https://")
    assert spec.outcomes, "every built-in protocol schedules an outcome scale"
    assert spec.forms.session_screening and spec.forms.observation


@pytest.mark.parametrize(
    ("slug", "screening", "observation"),
    [
        ("tms-10hz-standard", "tms-session-check", "tms-post-session"),
        ("ect-acute", "ect-pre-treatment", "ect-recovery"),
        ("esketamine-trd", "esketamine-pre-dose", "esketamine-post-dose"),
    ],
)
def test_protocols_name_their_forms(slug, screening, observation):
    forms = spec_of(slug).forms
    assert (forms.session_screening, forms.observation) == (screening, observation)


def test_every_form_a_protocol_names_exists_in_the_charting_library():
    charting = LIBRARY_DIR.parent.parent / "charting" / "library"
    templates = {
        json.loads(p.read_text())["slug"]: json.loads(p.read_text())
        for p in charting.glob("*.json")
    }
    for entry in library_entries():
        forms = parse_spec(entry.spec).forms
        for kind, scope, slug in (
            ("screening", "course", forms.course_screening),
            ("screening", "session", forms.session_screening),
            ("observation", None, forms.observation),
        ):
            if slug is not None:
                assert slug in templates, f"{entry.slug} names missing form {slug!r}"
                assert templates[slug]["kind"] == kind
                assert templates[slug]["modality"] == entry.modality
                if scope is not None:
                    assert templates[slug]["scope"] == scope


def test_tms_protocols_screen_once_per_course():
    for slug in ("tms-10hz-standard", "tms-itbs", "tms-saint-accelerated", "tms-deep-h1"):
        assert spec_of(slug).forms.course_screening == "tms-safety-screen"


# --- Standard 10 Hz rTMS and iTBS ----------------------------------------------------------


def test_standard_tms_gives_36_sessions_around_a_holiday_and_weekends():
    sessions = plan("tms-10hz-standard", MONDAY_MLK_IN_WEEK_2)

    assert len(sessions) == 36
    assert [s.number for s in sessions] == list(range(1, 37))
    assert all(s.day.weekday() < 5 for s in sessions)
    assert MLK_DAY not in {s.day for s in sessions}
    assert len({s.day for s in sessions}) == 36, "one session a day"
    assert all(s.start_local.time() == NINE for s in sessions)


def test_standard_tms_is_30_daily_sessions_then_a_3_2_1_taper():
    sessions = plan("tms-10hz-standard", MONDAY_MLK_IN_WEEK_2)

    counts = Counter(s.phase for s in sessions)
    assert counts == {"acute": 30, "taper-3": 3, "taper-2": 2, "taper-1": 1}
    acute_weeks = Counter(week_of(s.day) for s in by_phase(sessions, "acute"))
    assert max(acute_weeks.values()) == 5
    assert acute_weeks[week_of(MLK_DAY)] == 4, "the holiday is skipped, not doubled up"
    for phase, per_week in (("taper-3", 3), ("taper-2", 2), ("taper-1", 1)):
        weeks = Counter(week_of(s.day) for s in by_phase(sessions, phase))
        assert max(weeks.values()) <= per_week
    taper = [s for s in sessions if s.phase != "acute"]
    assert min(gaps(taper)) >= 2, "taper sessions are never on consecutive days"


def test_standard_tms_phq9_at_baseline_every_10_sessions_and_end():
    sessions = plan("tms-10hz-standard", MONDAY_MLK_IN_WEEK_2)
    due = [s.number for s in sessions if "phq9" in s.scales_due]
    assert due == [1, 10, 20, 30, 36]


def test_standard_tms_keeps_0900_local_across_the_spring_dst_change():
    # Started 2026-02-23: the course runs across 2026-03-08, when New York moves to UTC-4.
    sessions = plan("tms-10hz-standard", dt.date(2026, 2, 23))

    assert all(s.start_local.time() == NINE for s in sessions)
    utc_hours = {s.start_utc.hour for s in sessions}
    assert utc_hours == {13, 14}
    before = [s for s in sessions if s.day < dt.date(2026, 3, 8)]
    assert {s.start_utc.hour for s in before} == {14}


def test_itbs_has_the_standard_cadence_with_short_sessions():
    itbs = plan("tms-itbs", MONDAY_MLK_IN_WEEK_2)
    standard = plan("tms-10hz-standard", MONDAY_MLK_IN_WEEK_2)

    assert [(s.day, s.phase) for s in itbs] == [(s.day, s.phase) for s in standard]
    timing = spec_of("tms-itbs").timing
    assert timing.procedure_minutes <= 20 < spec_of("tms-10hz-standard").timing.procedure_minutes
    assert all(s.end_local - s.start_local == dt.timedelta(minutes=15) for s in itbs)


# --- Accelerated iTBS (SAINT) --------------------------------------------------------------


def test_saint_is_50_sessions_over_5_consecutive_days():
    sessions = plan("tms-saint-accelerated", MONDAY_MLK_IN_WEEK_2)

    assert len(sessions) == 50
    per_day = Counter(s.day for s in sessions)
    days = sorted(per_day)
    assert days == [MONDAY_MLK_IN_WEEK_2 + dt.timedelta(days=i) for i in range(5)]
    assert set(per_day.values()) == {10}


def test_saint_same_day_sessions_start_at_least_50_minutes_apart_within_opening_hours():
    sessions = plan("tms-saint-accelerated", MONDAY_MLK_IN_WEEK_2)

    for day in {s.day for s in sessions}:
        starts = sorted(s.start_utc for s in sessions if s.day == day)
        assert all(b - a >= dt.timedelta(minutes=50) for a, b in itertools.pairwise(starts))
        today = [s for s in sessions if s.day == day]
        assert min(s.start_local.time() for s in today) >= dt.time(8, 0)
        assert max(s.observation_end_local.time() for s in today) <= dt.time(18, 0)


def test_saint_refuses_to_split_its_block_around_a_closure():
    wednesday = MONDAY_MLK_IN_WEEK_2 + dt.timedelta(days=2)
    calendar = us_clinic({wednesday: "closed: staff training"})

    with pytest.raises(PlanningError) as raised:
        plan("tms-saint-accelerated", MONDAY_MLK_IN_WEEK_2, calendar)
    assert raised.value.rule == "max_days_between"
    assert raised.value.phase == "accelerated"


def test_saint_started_midweek_cannot_run_5_consecutive_days():
    with pytest.raises(PlanningError) as raised:
        plan("tms-saint-accelerated", MONDAY_MLK_IN_WEEK_2 + dt.timedelta(days=1))
    assert raised.value.rule == "max_days_between"


# --- Deep TMS (H1) -------------------------------------------------------------------------


def test_deep_tms_is_20_sessions_in_4_weeks_then_twice_weekly_for_12_weeks():
    sessions = plan("tms-deep-h1", QUIET_MONDAY)

    acute = by_phase(sessions, "acute")
    continuation = by_phase(sessions, "continuation")
    assert (len(acute), len(continuation), len(sessions)) == (20, 24, 44)
    assert acute[-1].day - acute[0].day < dt.timedelta(weeks=4)
    weeks = Counter(week_of(s.day) for s in continuation)
    assert len(weeks) == 12 and set(weeks.values()) == {2}
    assert min(gaps(continuation)) >= 2, "twice weekly, never on consecutive days"


# --- ECT -----------------------------------------------------------------------------------


def test_ect_acute_is_12_treatments_on_mon_wed_fri_at_least_2_days_apart():
    sessions = plan("ect-acute", MONDAY_MLK_IN_WEEK_2)

    assert len(sessions) == 12
    assert {s.day.weekday() for s in sessions} <= {0, 2, 4}
    assert MLK_DAY not in {s.day for s in sessions}
    assert min(gaps(sessions)) >= 2
    assert max(gaps(sessions)) <= 7
    assert max(Counter(week_of(s.day) for s in sessions).values()) <= 3


def test_ect_holds_the_suite_then_a_recovery_bay():
    timing = spec_of("ect-acute").timing
    assert timing.procedure_holds == ["ect_suite"]
    assert timing.observation_holds == ["recovery_bay"]
    session = plan("ect-acute", MONDAY_MLK_IN_WEEK_2)[0]
    assert session.observation_end_local > session.end_local


def test_ect_acute_outcome_every_3_treatments():
    sessions = plan("ect-acute", MONDAY_MLK_IN_WEEK_2)
    assert [s.number for s in sessions if s.scales_due] == [1, 3, 6, 9, 12]


def test_ect_acute_cannot_go_a_week_without_treatment():
    closures = {MONDAY_MLK_IN_WEEK_2 + dt.timedelta(days=d): "closed: works" for d in range(2, 12)}
    with pytest.raises(PlanningError) as raised:
        plan("ect-acute", MONDAY_MLK_IN_WEEK_2, us_clinic(closures))
    assert raised.value.rule == "max_days_between"


def test_ect_continuation_tapers_weekly_then_every_2_weeks_then_monthly():
    sessions = plan("ect-continuation", QUIET_MONDAY)

    counts = Counter(s.phase for s in sessions)
    assert counts == {"weekly": 4, "every-2-weeks": 4, "monthly": 4}
    days = [s.day for s in sessions]
    spacing = [(b - a).days for a, b in itertools.pairwise(days)]
    assert spacing[:3] == [7, 7, 7]
    assert spacing[3:7] == [14, 14, 14, 14]
    assert all(28 <= d <= 42 for d in spacing[7:])
    assert {s.day.weekday() for s in sessions} <= {0, 2, 4}


# --- Esketamine ----------------------------------------------------------------------------


def test_esketamine_induction_is_8_sessions_twice_weekly_never_on_consecutive_days():
    sessions = plan("esketamine-trd", MONDAY_MLK_IN_WEEK_2)

    induction = by_phase(sessions, "induction")
    assert len(induction) == 8
    assert set(Counter(week_of(s.day) for s in induction).values()) == {2}
    assert min(gaps(induction)) >= 2
    assert MLK_DAY not in {s.day for s in sessions}


def test_esketamine_weekly_then_every_two_weeks():
    sessions = plan("esketamine-trd", MONDAY_MLK_IN_WEEK_2)

    weekly = by_phase(sessions, "maintenance-weekly")
    assert len(weekly) == 4
    assert set(Counter(week_of(s.day) for s in weekly).values()) == {1}
    later = by_phase(sessions, "maintenance-every-2-weeks")
    assert later and min(gaps(later)) >= 14


def test_esketamine_observes_at_least_120_minutes_in_the_same_monitoring_chair():
    timing = spec_of("esketamine-trd").timing
    assert timing.procedure_holds == timing.observation_holds == ["monitoring_chair"]
    for s in plan("esketamine-trd", MONDAY_MLK_IN_WEEK_2):
        assert s.observation_end_utc - s.end_utc >= dt.timedelta(minutes=120)
        assert s.end_utc - s.start_utc >= dt.timedelta(minutes=15), "pre-dose vitals and dosing"


def test_esketamine_scale_due_at_the_end_of_induction_and_weekly():
    sessions = plan("esketamine-trd", MONDAY_MLK_IN_WEEK_2)

    last_induction = by_phase(sessions, "induction")[-1]
    assert last_induction.number == 8
    assert "madrs" in last_induction.scales_due
    assert "phq9" in sessions[0].scales_due and "madrs" in sessions[0].scales_due
    weeks_with_phq9 = {week_of(s.day) for s in sessions if "phq9" in s.scales_due}
    assert weeks_with_phq9 == {week_of(s.day) for s in sessions}
