"""Shared timing helpers for the benches: interleaved rounds against a floor, medians, the load.

Why interleaved: the machines are shared and noisy. Timing the operation in one block and its
floor (the baseline it is compared with) in another lets a burst of load land on one side only;
the engine bench's ratio once swung 1.72x -> 3.50x within an hour on the same code that way.
Here every round runs each candidate once, in turn, so a burst hits all of them alike, and the
figure reported is the median over rounds of each, beside the load average at the start and end.

    from bench.measure import interleaved, load_text, ratio_table

    timings = interleaved({"floor": floor_fn, "feed": feed_fn}, rounds=15)
    print(load_text())
    print(ratio_table(timings, floor="floor"))
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass
class Timing:
    """Milliseconds per round of one candidate, and what its last call returned."""

    name: str
    samples: list[float] = field(default_factory=list)
    result: object = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def ratio(self, floor: Timing) -> float:
        return self.median / floor.median if floor.median else float("inf")


def interleaved(
    candidates: Mapping[str, Callable[[], object]], *, rounds: int = 11, warmup: int = 1
) -> dict[str, Timing]:
    """Time each candidate once per round, in turn, for `rounds` rounds (after `warmup` rounds
    that are not counted: first calls pay for imports, template compilation and cold caches)."""
    timings = {name: Timing(name) for name in candidates}
    for index in range(warmup + rounds):
        for name, fn in candidates.items():
            t0 = time.perf_counter()
            result = fn()
            elapsed = (time.perf_counter() - t0) * 1000
            if index >= warmup:
                timings[name].samples.append(elapsed)
                timings[name].result = result
    return timings


def load_text() -> str:
    """The 1, 5 and 15 minute load averages and the core count, for the printed figures."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # not every platform has it
        return "load average: unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def ratio_table(
    timings: Mapping[str, Timing], *, floor: str, goal: Mapping[str, float] | None = None
) -> str:
    """One line per candidate: median ms, ratio to the floor, and the goal ratio where given."""
    base = timings[floor]
    goal = goal or {}
    lines = [f"{'operation':48} {'median ms':>10} {'x ' + floor:>14} {'goal':>8}"]
    for name, timing in timings.items():
        target = f"<= {goal[name]:g}x" if name in goal else ""
        lines.append(f"{name:48} {timing.median:10.2f} {timing.ratio(base):14.2f} {target:>8}")
    return "\n".join(lines)
