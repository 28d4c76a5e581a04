"""Planning-engine benchmark: courses/second per built-in protocol; standard TMS against a floor.

Run from the repository root: `make bench` or `.venv/bin/python bench/engine_bench.py`.
Options: `--repeat N` (courses per protocol, default 1000), `--rounds N` (best of N, default 5).

The floor is the least work that yields the same standard-TMS dates: enumerate weekdays with
dateutil.rrule (WEEKLY, MO-FR), drop public holidays, apply each phase's spacing and weekly quota,
and build aware local and UTC start datetimes. The engine also builds end and observation times,
PlannedSession objects and the outcome-scale schedule, so a ratio near 1 is not expected; the
target is within 3x (issue 2, point 10). Figures and the machine are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Runnable as `python bench/engine_bench.py` from the repo root without PYTHONPATH.
    sys.path.insert(0, str(ROOT))

import holidays  # noqa: E402
from dateutil import rrule  # noqa: E402

from clinic.calendar import SiteCalendar  # noqa: E402
from protocols.engine import plan_course  # noqa: E402
from protocols.spec import ProtocolSpec, parse_spec  # noqa: E402

ZONE = ZoneInfo("America/New_York")
START = dt.date(2025, 1, 6)  # a Monday; MLK Day and Presidents' Day fall inside the course
PREFERRED = dt.time(9, 0)
STANDARD_SLUG = "tms-10hz-standard"

# Used when protocols/library/ has no standard 10 Hz TMS file yet, so the bench always runs.
# 30 acute sessions at 5 a week, then a 3-week taper of 3, 2, 1 (docs/clinical.md section 1).
FALLBACK_STANDARD_TMS: dict[str, Any] = {
    "modality": "tms",
    "phases": [
        {"name": "acute", "sessions": 30, "sessions_per_week": 5},
        {"name": "taper-3", "sessions": 3, "sessions_per_week": 3},
        {"name": "taper-2", "sessions": 2, "sessions_per_week": 2},
        {"name": "taper-1", "sessions": 1, "sessions_per_week": 1},
    ],
    "timing": {
        "procedure_minutes": 40,
        "observation_minutes": 10,
        "procedure_holds": ["tms_chair", "tms_device"],
    },
    "outcomes": [{"scale": "phq9", "baseline": True, "weekly": True, "end": True}],
}


def us_calendar(start: dt.date) -> SiteCalendar:
    """A US clinic open Mon-Fri 08:00-18:00 (Sat 09:00-13:00 is left out: TMS clinics vary)."""
    closed = {
        day: f"public holiday: {name}"
        for day, name in holidays.country_holidays(
            "US", years=range(start.year - 1, start.year + 5)
        ).items()
    }
    hours = {wd: (dt.time(8, 0), dt.time(18, 0)) for wd in range(5)}
    return SiteCalendar(zone=ZONE, hours=hours, closed=closed)


def load_protocols() -> dict[str, ProtocolSpec]:
    """Built-in protocols from protocols/library/*.json, plus the fallback standard TMS."""
    specs: dict[str, ProtocolSpec] = {}
    for path in sorted((ROOT / "protocols" / "library").glob("*.json")):
        try:
            data = json.loads(path.read_text())
            if isinstance(data, dict) and "spec" in data:
                specs[data.get("slug", path.stem)] = parse_spec(data["spec"])
        except (ValueError, OSError) as exc:  # SpecError is a ValueError
            print(f"skipping {path.name}: {exc}", file=sys.stderr)
    if not any(_is_standard_tms(s) for s in specs.values()):
        specs[f"{STANDARD_SLUG} (bench fallback)"] = parse_spec(FALLBACK_STANDARD_TMS)
    return specs


def _is_standard_tms(spec: ProtocolSpec) -> bool:
    shape = [(p.total_sessions, p.per_week, p.sessions_per_day) for p in spec.phases]
    return spec.modality == "tms" and shape == [(30, 5, 1), (3, 3, 1), (2, 2, 1), (1, 1, 1)]


def floor_dates(spec: ProtocolSpec, calendar: SiteCalendar) -> list[dt.datetime]:
    """The same dates as the engine for a per-week-cadence course, the plain way, with UTC starts.

    Only for specs whose phases use sessions_per_week and open Mon-Fri (standard TMS).
    """
    closed = calendar.closed
    zone = calendar.zone
    starts: list[dt.datetime] = []
    days = rrule.rrule(
        rrule.WEEKLY,
        byweekday=(rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR),
        dtstart=dt.datetime.combine(START, dt.time()),
    )
    candidates = iter(days)
    prev: dt.date | None = None
    for phase in spec.phases:
        gap = phase.effective_min_days_between
        week, in_week, done = None, 0, 0
        while done < phase.total_sessions:
            day = next(candidates).date()
            if day in closed or (prev is not None and (day - prev).days < gap):
                continue
            iso_week = day.isocalendar()[:2]
            if iso_week != week:
                week, in_week = iso_week, 0
            if in_week >= phase.per_week:
                continue
            in_week += 1
            done += 1
            prev = day
            local = dt.datetime.combine(day, PREFERRED, tzinfo=zone)
            starts.append(local.astimezone(dt.UTC))
    return starts


def best_rate(func: Callable[[], object], repeat: int, rounds: int) -> float:
    """Best wall time of `rounds` runs of `repeat` calls (the run least disturbed by neighbours)."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(repeat):
            func()
        best = min(best, time.perf_counter() - began)
    return best


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU(s), {cpu}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    calendar = us_calendar(START)
    specs = load_protocols()
    print(f"machine: {machine()}")
    print(f"calendar: America/New_York, Mon-Fri 08:00-18:00, US holidays; start {START}")
    print(f"{args.repeat} courses per protocol, best of {args.rounds} rounds\n")
    print(
        f"{'protocol':<40} {'sessions':>8} {'courses/s':>11} {'sessions/s':>12} {'us/course':>10}"
    )
    standard: tuple[str, ProtocolSpec, float] | None = None
    for slug, spec in specs.items():
        plan = plan_course(spec, START, PREFERRED, calendar)
        assert plan == plan_course(spec, START, PREFERRED, calendar)
        seconds = best_rate(
            partial(plan_course, spec, START, PREFERRED, calendar),
            args.repeat,
            args.rounds,
        )
        rate = args.repeat / seconds
        print(
            f"{slug:<40} {len(plan):>8} {rate:>11,.0f} {rate * len(plan):>12,.0f} "
            f"{seconds / args.repeat * 1e6:>10.1f}"
        )
        if _is_standard_tms(spec) and (standard is None or slug == STANDARD_SLUG):
            standard = (slug, spec, seconds)

    assert standard is not None
    slug, spec, engine_seconds = standard
    floor = floor_dates(spec, calendar)
    engine_starts = [s.start_utc for s in plan_course(spec, START, PREFERRED, calendar)]
    # The comparison is only fair if both produce the same sessions.
    assert floor == engine_starts, "floor and engine disagree on standard TMS dates"
    floor_seconds = best_rate(lambda: floor_dates(spec, calendar), args.repeat, args.rounds)
    ratio = engine_seconds / floor_seconds
    engine_rate = args.repeat / engine_seconds
    print(f"\nstandard TMS ({slug}, {len(floor)} sessions):")
    print(f"  engine: {engine_rate:,.0f} courses/s ({engine_seconds / args.repeat * 1e6:.1f} us)")
    print(
        f"  floor (rrule + holiday filter + start datetimes): "
        f"{args.repeat / floor_seconds:,.0f} courses/s ({floor_seconds / args.repeat * 1e6:.1f} us)"
    )
    print(f"  engine time / floor time: {ratio:.2f}x (target <= 3x)")
    print(f"  target >= 5,000 courses/s: {'met' if engine_rate >= 5000 else 'NOT met'}")
    print(f"  within 3x of the floor: {'met' if ratio <= 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
