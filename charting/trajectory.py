"""A course's outcome trajectory as plain data, and an inline SVG chart of it. Pure.

`Series` is the one chart series of a scale, built by `scale_series`: every outcome chart
draws it (the patient's and the review page's SVG below, the staff outcomes page's SVG in
charting/outcome_chart.py, the course summary PDF's in charting/documents/charts.py) and none
recomputes a line. Self-report and clinician-rated scales are separate series (CLINICAL.md §6:
they are not mixed in one trajectory); each point says who entered it (the patient on their own
device, or staff). A series carries its baseline, response line (charting/scoring.py
`response_line`) and remission line (the scale's threshold). Daily mood (0-10, higher is
better) is its own series on its own axis, never drawn on a scale's.

The SVG needs no script and no external file (the patient page's content security policy
allows neither): polylines, circles, and text labels a screen reader reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from charting.scoring import FirstSession, Taken, baseline_index, get_scale, response_line


@dataclass(frozen=True, slots=True)
class ScorePoint:
    at: dt.datetime  # when it was administered
    day: dt.date  # the site's local day of `at`
    total: int
    source: str  # "patient" | "staff"
    session_number: int | None
    marked_baseline: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    scale: str
    title: str
    rater: str  # "self" | "clinician"
    max_total: int
    points: tuple[ScorePoint, ...]
    baseline: int | None
    response_line: float | None
    remission_max: int


@dataclass(frozen=True, slots=True)
class MoodPoint:
    day: dt.date
    mood: int


@dataclass(frozen=True, slots=True)
class ReviewMark:
    at_session: int
    day: dt.date
    scale: str
    total: int
    improvement_percent: float | None
    needs_review: bool


def scale_series(scale: str, points: Sequence[ScorePoint], *, baseline_at: int | None) -> Series:
    """One scale's series from its points in time order, measured from `points[baseline_at]`
    (charting/scoring.py `baseline_index`; None: no baseline, and then no response line)."""
    definition = get_scale(scale)
    baseline = points[baseline_at].total if baseline_at is not None else None
    return Series(
        scale=scale,
        title=definition.title,
        rater=definition.rater,
        max_total=definition.max_total,
        points=tuple(points),
        baseline=baseline,
        response_line=response_line(baseline),
        remission_max=definition.remission_max,
    )


def build_series(
    rows: Sequence[tuple[str, ScorePoint]], *, first_session: FirstSession | None
) -> list[Series]:
    """Series per scale from (scale, point) rows in time order: self-report scales first.

    Each series' baseline follows the one rule (charting/scoring.py `baseline_index`): a scale
    first taken after the first session has none, and then no response line either.
    """
    by_scale: dict[str, list[ScorePoint]] = {}
    for scale, point in rows:
        by_scale.setdefault(scale, []).append(point)
    out = [
        scale_series(
            scale,
            points,
            baseline_at=baseline_index(
                [Taken(p.total, p.day, p.session_number, p.marked_baseline) for p in points],
                first_session=first_session,
            ),
        )
        for scale, points in by_scale.items()
    ]
    return sorted(out, key=lambda s: (s.rater != "self", s.scale))


# --- SVG ---------------------------------------------------------------------------------

WIDTH, HEIGHT = 340, 190
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 14, 30


def _x(day: dt.date, first: dt.date, last: dt.date) -> float:
    span = max((last - first).days, 1)
    return LEFT + (day - first).days * (WIDTH - LEFT - RIGHT) / span


def _y(value: float, top_value: float) -> float:
    return TOP + (1 - value / top_value) * (HEIGHT - TOP - BOTTOM)


def _frame(title: str, top_value: int, first: dt.date, last: dt.date, note: str) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}. {escape(note)}" class="trajectory">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end">{top_value}</text>',
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" font-size="10" text-anchor="end">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 14}" font-size="10">{first:%d %b}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 14}" font-size="10" text-anchor="end">'
        f"{last:%d %b}</text>",
        f'<text x="{LEFT}" y="{HEIGHT - 2}" font-size="10">{escape(note)}</text>',
    ]
    return parts


def _hline(value: float, top: float, label: str, colour: str) -> list[str]:
    y = round(_y(value, top), 1)
    return [
        f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{colour}" '
        f'stroke-dasharray="4 3"/>',
        f'<text x="{WIDTH - RIGHT}" y="{y - 3}" font-size="9" text-anchor="end" '
        f'fill="{colour}">{escape(label)}</text>',
    ]


def series_svg(
    series: Series,
    *,
    first: dt.date,
    last: dt.date,
    review: ReviewMark | None = None,
    lines: bool = True,
    note: str = "Lower is better.",
) -> str:
    """One scale's totals over the course; response and remission lines when `lines`."""
    top = series.max_total
    parts = _frame(series.title, top, first, last, note)
    if lines and series.response_line is not None:
        parts += _hline(series.response_line, top, "response (50% lower)", "#2a7")
    if lines:
        parts += _hline(series.remission_max, top, "remission", "#27a")
    if lines and series.baseline is None and series.points:
        parts.append(
            f'<text x="{LEFT + 4}" y="{TOP + 10}" font-size="9" fill="#a50">'
            "No baseline: response not computed</text>"
        )
    coords = [
        (round(_x(p.day, first, last), 1), round(_y(p.total, top), 1), p) for p in series.points
    ]
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#333" stroke-width="2"/>')
    for x, y, p in coords:
        fill = "#fff" if p.source == "patient" else "#333"
        who = "your own report" if p.source == "patient" else "entered in clinic"
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="4" fill="{fill}" stroke="#333" stroke-width="2">'
            f"<title>{p.day:%d %b}: {p.total} ({who})</title></circle>"
        )
    if review is not None and review.scale == series.scale:
        x = round(_x(review.day, first, last), 1)
        colour = "#c60" if review.needs_review else "#2a7"
        percent = (
            "n/a" if review.improvement_percent is None else f"{review.improvement_percent:g}%"
        )
        parts.append(
            f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{HEIGHT - BOTTOM}" stroke="{colour}"/>'
            f'<text x="{x + 3}" y="{TOP + 8}" font-size="9" fill="{colour}">'
            f"session {review.at_session}: {escape(percent)} better</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def mood_svg(points: Sequence[MoodPoint], *, first: dt.date, last: dt.date) -> str:
    """Daily mood 0-10 (higher is better), on its own chart."""
    parts = _frame("Daily mood (0 to 10)", 10, first, last, "Higher is better.")
    coords = [(round(_x(p.day, first, last), 1), round(_y(p.mood, 10), 1), p) for p in points]
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#a50" stroke-width="2"/>')
    for x, y, p in coords:
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="3" fill="#a50"><title>{p.day:%d %b}: mood '
            f"{p.mood}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
