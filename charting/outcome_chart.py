"""The course's outcome chart on the staff outcomes page: one scale's series (charting/
trajectory.py `Series`: totals over time, baseline, response and remission lines) as
coordinates for an inline SVG. Pure. Without a baseline (a scale first taken after the first
session) only the remission line is drawn."""

from __future__ import annotations

from dataclasses import dataclass

from charting.trajectory import Series

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


def outcome_chart(series: Series) -> Chart:
    """The series' points placed by time, its baseline, response and remission lines."""
    max_total = series.max_total
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y_of(total: float) -> float:
        return round(TOP + plot_h * (1 - total / max_total), 1)

    dots: list[Dot] = []
    points = series.points
    if points:
        first = points[0].at
        span = max((points[-1].at - first).total_seconds(), 1.0)
        for p in points:
            x = LEFT + (plot_w * (p.at - first).total_seconds() / span if len(points) > 1 else 0)
            dots.append(Dot(round(x, 1), y_of(p.total), p.total, f"{p.day:%d %b}: {p.total}"))
    lines: list[Line] = []
    if series.baseline is not None:
        lines.append(Line(y_of(series.baseline), f"baseline {series.baseline}", "baseline"))
    if series.response_line is not None:
        response = series.response_line
        lines.append(Line(y_of(response), f"response ≤ {response:g}", "response"))
    remission = series.remission_max
    lines.append(Line(y_of(remission), f"remission ≤ {remission}", "remission"))
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
