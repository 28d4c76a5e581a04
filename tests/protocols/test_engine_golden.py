"""The engine's exact output for every library protocol, against a committed golden file.

The property tests check the rules a plan must keep; this one pins the plan itself, so a change
meant to leave the engine's behaviour alone (a refactor, an optimisation) shows any difference.
Every library protocol (and one accelerated spec open every weekday) is planned on a weekday
clinic with US holidays and on round-the-clock calendars whose preferred time falls in a DST gap
or repeated hour: from starts before the spring and the autumn changes, midweek (where some
protocols cannot start) and on the day of a change (laid out on real instants), then resumed
from its middle treatment day. Each case stores a readable line per session (number, phase,
local start, scales due) and a SHA-256 of the repr of everything the engine returned (every
field of every session, folds and zones included, the skip reasons, or the PlanningError).

When the engine's behaviour changes on purpose, regenerate the file and review its diff:

    .venv/bin/python -m tests.protocols.test_engine_golden
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from clinic.calendar import SiteCalendar
from protocols.engine import PlannedSession, PlanningError, ResumePoint, plan_course
from protocols.spec import ProtocolSpec, parse_spec
from tests.protocols.engine_support import iso_week

GOLDEN = Path(__file__).resolve().parent / "engine_golden.json"
LIBRARY_DIR = Path(__file__).resolve().parents[2] / "protocols" / "library"
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def _us_clinic() -> SiteCalendar:
    shut = {
        day: f"public holiday: {name}"
        for day, name in holidays.country_holidays("US", years=range(2025, 2028)).items()
    }
    hours = {wd: (dt.time(8, 0), dt.time(18, 0)) for wd in range(5)}
    return SiteCalendar(zone=NEW_YORK, hours=hours, closed=shut)


def _round_the_clock(zone: ZoneInfo) -> SiteCalendar:
    hours = {wd: (dt.time(0, 0), dt.time(23, 59)) for wd in range(7)}
    return SiteCalendar(zone=zone, hours=hours, closed={dt.date(2025, 3, 12): "closed: test"})


# name -> (calendar, preferred time, starts). New York changes on 2025-03-09 (02:00 -> 03:00)
# and 2025-11-02 (02:00 -> 01:00); London on 2025-03-30 (01:00 -> 02:00) and 2025-10-26
# (02:00 -> 01:00).
CALENDARS: dict[str, tuple[SiteCalendar, dt.time, tuple[dt.date, ...]]] = {
    "new-york-clinic": (
        _us_clinic(),
        dt.time(9, 0),
        (dt.date(2025, 2, 24), dt.date(2025, 10, 13), dt.date(2025, 2, 26)),
    ),
    "new-york-24h-0230": (
        _round_the_clock(NEW_YORK),
        dt.time(2, 30),
        (dt.date(2025, 3, 9),),
    ),
    "new-york-24h-0130": (
        _round_the_clock(NEW_YORK),
        dt.time(1, 30),
        (dt.date(2025, 11, 2),),
    ),
    "london-24h-0130": (
        _round_the_clock(LONDON),
        dt.time(1, 30),
        (dt.date(2025, 3, 30), dt.date(2025, 10, 26)),
    ),
}


# Beside the library: accelerated days on any weekday (so a 10-session day falls on a change
# day), with every kind of scale cadence.
ACCELERATED_EVERY_DAY: dict[str, Any] = {
    "modality": "tms",
    "phases": [
        {
            "name": "accelerated",
            "sessions": 30,
            "sessions_per_week": 7,
            "sessions_per_day": 10,
            "min_minutes_between_starts": 50,
            "max_days_between": 3,
        },
        {"name": "follow-up", "sessions": 4, "sessions_per_week": 2, "min_days_between": 2},
    ],
    "timing": {
        "procedure_minutes": 10,
        "observation_minutes": 30,
        "procedure_holds": ["tms_chair"],
    },
    "outcomes": [
        {"scale": "phq9", "baseline": True, "weekly": True, "end": True},
        {
            "scale": "madrs",
            "every_sessions": 7,
            "phase_starts": ["follow-up"],
            "phase_ends": ["accelerated"],
        },
    ],
}


def _library() -> dict[str, ProtocolSpec]:
    specs = {
        path.stem: parse_spec(json.loads(path.read_text())["spec"])
        for path in sorted(LIBRARY_DIR.glob("*.json"))
    }
    specs["accelerated-every-day"] = parse_spec(ACCELERATED_EVERY_DAY)
    return specs


def _when(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="minutes")
    return f"{text}[fold=1]" if moment.fold else text


def _line(s: PlannedSession) -> str:
    scales = ",".join(s.scales_due) or "-"
    return f"{s.number} {s.phase}#{s.number_in_phase} {_when(s.start_local)} {scales}"


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _run(
    spec: ProtocolSpec,
    start: dt.date,
    preferred: dt.time,
    calendar: SiteCalendar,
    resume: ResumePoint | None = None,
) -> dict[str, Any]:
    skips: dict[dt.date, str] = {}
    try:
        plan = plan_course(spec, start, preferred, calendar, resume=resume, skips=skips)
    except PlanningError as exc:
        error = (exc.rule, exc.day, exc.phase, exc.message)
        return {"error": f"{exc.rule} {exc.day} {exc.message}", "sha256": _digest(error, skips)}
    return {
        "sessions": [_line(s) for s in plan],
        "skips": len(skips),
        "sha256": _digest(plan, sorted(skips.items())),
    }


def _middle_resume(plan: list[PlannedSession]) -> tuple[dt.date, ResumePoint] | None:
    """Resume after the treatment day in the middle of the plan (as a re-plan would)."""
    boundaries = [k for k in range(1, len(plan)) if plan[k - 1].day != plan[k].day]
    if not boundaries:
        return None
    k = boundaries[len(boundaries) // 2]
    last, nxt = plan[k - 1], plan[k]
    week_count = len(
        {
            s.day
            for s in plan[:k]
            if s.phase_index == nxt.phase_index and iso_week(s.day) == iso_week(last.day)
        }
    )
    point = ResumePoint(nxt.phase_index, nxt.number_in_phase - 1, last.day, k, week_count)
    return last.day + dt.timedelta(days=1), point


def outputs() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for slug, spec in _library().items():
        for name, (calendar, preferred, starts) in CALENDARS.items():
            for start in starts:
                key = f"{slug} {name} {start}"
                result[key] = _run(spec, start, preferred, calendar)
                try:
                    plan = plan_course(spec, start, preferred, calendar)
                except PlanningError:
                    continue
                resume = _middle_resume(plan)
                if resume is not None:
                    day, point = resume
                    result[f"{key} resumed"] = _run(spec, day, preferred, calendar, point)
    return result


CASES = outputs()
EXPECTED: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


def test_golden_file_holds_the_same_cases():
    assert sorted(CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("key", sorted(CASES))
def test_engine_output_equals_the_golden_file(key):
    assert CASES[key] == EXPECTED[key]


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(outputs(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)
