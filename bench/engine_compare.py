"""Planning engine against another version of itself, timed interleaved in one run.

Run from the repository root: `.venv/bin/python bench/engine_compare.py [--base REF]`.
The base is `protocols/engine.py` as committed at the git ref REF (default `main`), loaded from
a temporary file beside the working tree's engine (both use the working tree's spec, spacing and
calendar modules); the working tree's engine is the new one. Before timing, the bench asserts
that both give the same sessions (every field) for every built-in protocol, so they do the same
job. Then each of `--rounds` rounds times `--repeat` plans of each protocol with the base, the
new engine and, for standard TMS, the floor of bench/engine_bench.py, one after the other in an
order that rotates every round, so load drifting on a shared machine hits them alike. Figures
are medians over the rounds; a ratio is the median of the per-round ratios. For a change meant
to keep the engine's speed (a refactor), new/base should stay near 1; `--base HEAD` on a clean
tree measures the noise (the same code against itself).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        # Runnable as `python bench/engine_compare.py` from the repo root without PYTHONPATH.
        sys.path.insert(0, str(path))

from bench.engine_bench import (  # noqa: E402
    PREFERRED,
    START,
    _is_standard_tms,
    floor_dates,
    load_protocols,
    machine,
    us_calendar,
)
from clinic.calendar import SiteCalendar  # noqa: E402
from protocols import engine as new_engine  # noqa: E402
from protocols.spec import ProtocolSpec  # noqa: E402


def load_base(ref: str, directory: Path) -> ModuleType:
    """protocols/engine.py at git ref `ref`, imported as module `engine_base`."""
    source = subprocess.run(
        ["git", "show", f"{ref}:protocols/engine.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = directory / "engine_base.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("engine_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while building the class.
    sys.modules["engine_base"] = module
    spec.loader.exec_module(module)
    return module


def fields(plan: Sequence[Any]) -> list[tuple[str, ...]]:
    """Every field of every session, as repr (which shows a datetime's fold and zone)."""
    return [tuple(repr(getattr(s, f.name)) for f in dataclasses.fields(s)) for s in plan]


def timed(func: Callable[[], object], repeat: int) -> float:
    began = time.perf_counter()
    for _ in range(repeat):
        func()
    return time.perf_counter() - began


def planner(module: ModuleType, spec: ProtocolSpec, calendar: SiteCalendar) -> Callable[[], object]:
    plan_course = module.plan_course
    return lambda: plan_course(spec, START, PREFERRED, calendar)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git ref of the base engine")
    parser.add_argument("--repeat", type=int, default=100, help="plans per timing")
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args(argv)

    calendar = us_calendar(START)
    specs = load_protocols()
    with tempfile.TemporaryDirectory() as directory:
        base = load_base(args.base, Path(directory))
    for slug, spec in specs.items():
        assert fields(base.plan_course(spec, START, PREFERRED, calendar)) == fields(
            new_engine.plan_course(spec, START, PREFERRED, calendar)
        ), f"{slug}: the base and the new engine disagree"
    standard_slug, standard = next((s, spec) for s, spec in specs.items() if _is_standard_tms(spec))
    cases: dict[str, dict[str, Callable[[], object]]] = {
        "base": {slug: planner(base, spec, calendar) for slug, spec in specs.items()},
        "new": {slug: planner(new_engine, spec, calendar) for slug, spec in specs.items()},
        "floor": {standard_slug: lambda: floor_dates(standard, calendar)},
    }
    seconds: dict[str, dict[str, list[float]]] = {
        name: {slug: [] for slug in funcs} for name, funcs in cases.items()
    }
    for round_number in range(args.rounds):
        for slug in specs:
            order = [name for name in cases if slug in cases[name]]
            shift = round_number % len(order)
            for name in order[shift:] + order[:shift]:
                seconds[name][slug].append(timed(cases[name][slug], args.repeat))

    def us(name: str, slug: str) -> float:
        return statistics.median(seconds[name][slug]) / args.repeat * 1e6

    def ratio(a: list[float], b: list[float]) -> float:
        return statistics.median(x / y for x, y in zip(a, b, strict=True))

    print(f"machine: {machine()}")
    print(f"base: protocols/engine.py at {args.base}; new: the working tree")
    print(f"{args.rounds} interleaved rounds of {args.repeat} plans each; medians\n")
    print(f"{'protocol':<32} {'base us':>9} {'new us':>9} {'new/base':>9}")
    for slug in specs:
        new_over_base = ratio(seconds["new"][slug], seconds["base"][slug])
        print(f"{slug:<32} {us('base', slug):>9.1f} {us('new', slug):>9.1f} {new_over_base:>9.3f}")
    totals = {
        name: [sum(per_round) for per_round in zip(*seconds[name].values(), strict=True)]
        for name in ("base", "new")
    }
    total_ratio = ratio(totals["new"], totals["base"])
    base_total = statistics.median(totals["base"]) / args.repeat * 1e6
    new_total = statistics.median(totals["new"]) / args.repeat * 1e6
    label = "all protocols, one each"
    print(f"{label:<32} {base_total:>9.1f} {new_total:>9.1f} {total_ratio:>9.3f}")

    slug = standard_slug
    floor = seconds["floor"][slug]
    print(f"\nstandard TMS ({slug}) against the floor (rrule + holidays + start datetimes):")
    print(f"  floor: {statistics.median(floor) / args.repeat * 1e6:.1f} us")
    for name in ("base", "new"):
        print(f"  {name} / floor: {ratio(seconds[name][slug], floor):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
