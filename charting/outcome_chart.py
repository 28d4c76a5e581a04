"""The course's outcome chart: one scale's totals over time with the baseline, response (50%
below baseline) and remission lines, as coordinates for an inline SVG. Pure. Without a
baseline (a scale first taken after the first session) only the remission line is drawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class Line:
    y: float
    label: str
    css: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    total: int
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str
    dots: list[Dot]
    lines: list[Line]
    y_ticks: list[tuple[float, int]]
    plot: tuple[int, int, int, int]  # left, top, right, bottom


def outcome_chart(
    *,
    max_total: int,
    remission_max: int,
    taken: Sequence[tuple[dt.datetime, int]],
    baseline: int | None,
    zone: dt.tzinfo,
) -> Chart:
    """`taken`: (administered_at, total) in time order; `baseline` from the one rule
    (charting/scoring.py `baseline_index`): None draws no baseline or response line."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y_of(total: float) -> float:
        return round(TOP + plot_h * (1 - total / max_total), 1)

    dots: list[Dot] = []
    if taken:
        first = taken[0][0]
        span = max((taken[-1][0] - first).total_seconds(), 1.0)
        for when, total in taken:
            x = LEFT + (plot_w * (when - first).total_seconds() / span if len(taken) > 1 else 0)
            label = f"{when.astimezone(zone):%d %b}: {total}"
            dots.append(Dot(round(x, 1), y_of(total), total, label))
    lines: list[Line] = []
    if baseline is not None:
        lines.append(Line(y_of(baseline), f"baseline {baseline}", "baseline"))
        lines.append(Line(y_of(baseline / 2), f"response ≤ {baseline / 2:g}", "response"))
    lines.append(Line(y_of(remission_max), f"remission ≤ {remission_max}", "remission"))
    step = 5 if max_total <= 30 else 10
    ticks = [(y_of(v), v) for v in range(0, max_total + 1, step)]
    return Chart(
        WIDTH,
        HEIGHT,
        " ".join(f"{d.x},{d.y}" for d in dots),
        dots,
        lines,
        ticks,
        (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM),
    )
