"""When a patient's self-report is due, and the early-improvement figure. Pure: plain data in,
plain data out, no ORM (mypy --strict).

Due points come from the booked sessions: the engine already wrote which scales are due at
which session (`Session.scales_due`, from the protocol's `outcomes`, including the
early-improvement review session); the protocol says which of those the patient may complete
at home (`OutcomeSchedule.self_report`). A point opens on the local day of its session (the
baseline opens as soon as the course is booked, so it can be done before treatment 1) and
closes when the next point of the same scale opens; the last one stays open for
`END_GRACE_DAYS` after its day. A point closed without a submission is "missed": the next one
replaces it, so a patient never faces a backlog of old questionnaires.

Worked example (PHQ-9 at sessions 1, 10, 20; booked Friday 6 March, sessions from Monday 9):
session 1 on 9 March, session 10 on 20 March, session 20 on 3 April. The baseline is due from
6 March to 19 March; the session-10 report from 20 March to 2 April; the last from 3 April to
10 April. On 25 March, with only the baseline submitted: baseline submitted, session 10 due,
session 20 upcoming.

The early-improvement review (CLINICAL.md §6, [Iowa 2022]): improvement is the drop from
baseline as a percentage of baseline, (baseline - current) / baseline x 100; less than the
protocol's threshold (20%) at the review session raises a review item. Baseline 20, at session
10: 18 is 10% (review), 14 is 30% (no review), 16 is exactly 20% (no review: "less than").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

END_GRACE_DAYS = 7


class DueState(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class SessionPoint:
    """A booked session as the schedule needs it."""

    number: int
    local_date: dt.date
    scales_due: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True, slots=True)
class DuePoint:
    """One self-report of one scale, tied to the session it belongs to."""

    scale: str
    session_number: int
    opens_on: dt.date
    # Last local day it can be completed (inclusive).
    closes_on: dt.date
    baseline: bool


@dataclass(frozen=True, slots=True)
class PointStatus:
    point: DuePoint
    state: DueState


def self_report_points(
    *,
    sessions: Sequence[SessionPoint],
    self_report_scales: Collection[str],
    booked_on: dt.date,
) -> list[DuePoint]:
    """Every self-report point of a course, in order of opening then scale.

    Cancelled and no-show sessions (`active=False`) carry no point: the schedule moves with
    the sessions that happen.
    """
    by_scale: dict[str, list[SessionPoint]] = {}
    for session in sorted(sessions, key=lambda s: s.number):
        if not session.active:
            continue
        for scale in session.scales_due:
            if scale in self_report_scales:
                by_scale.setdefault(scale, []).append(session)
    points: list[DuePoint] = []
    for scale, rows in by_scale.items():
        opens = [
            min(booked_on, row.local_date) if index == 0 else row.local_date
            for index, row in enumerate(rows)
        ]
        for index, row in enumerate(rows):
            if index + 1 < len(rows):
                closes = max(opens[index], opens[index + 1] - dt.timedelta(days=1))
            else:
                closes = row.local_date + dt.timedelta(days=END_GRACE_DAYS)
            points.append(
                DuePoint(
                    scale=scale,
                    session_number=row.number,
                    opens_on=opens[index],
                    closes_on=closes,
                    baseline=index == 0,
                )
            )
    return sorted(points, key=lambda p: (p.opens_on, p.session_number, p.scale))


def point_states(
    points: Sequence[DuePoint],
    *,
    today: dt.date,
    submitted: Collection[tuple[str, int]],
    started: Collection[tuple[str, int]] = (),
) -> list[PointStatus]:
    """Each point's state on `today` (a local date); `submitted` and `started` hold
    (scale, session_number) keys. A started draft stays resumable while its point is open."""
    out: list[PointStatus] = []
    for point in points:
        key = (point.scale, point.session_number)
        if key in submitted:
            state = DueState.SUBMITTED
        elif today < point.opens_on:
            state = DueState.UPCOMING
        elif today > point.closes_on:
            state = DueState.MISSED
        elif key in started:
            state = DueState.IN_PROGRESS
        else:
            state = DueState.DUE
        out.append(PointStatus(point, state))
    return out


def open_point(points: Sequence[DuePoint], *, scale: str, today: dt.date) -> DuePoint | None:
    """The point of `scale` open on `today`, if any (at most one: points of a scale do not
    overlap)."""
    for point in points:
        if point.scale == scale and point.opens_on <= today <= point.closes_on:
            return point
    return None


# --- the early-improvement review --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """One administration of the review's scale: its total, the session it was tied to (if
    any) and its local date."""

    total: int
    session_number: int | None
    local_date: dt.date


@dataclass(frozen=True, slots=True)
class ReviewFinding:
    baseline: int
    current: int
    # None when the baseline is 0 (no improvement can be measured from it).
    improvement_percent: float | None
    threshold_percent: int
    needs_review: bool


def improvement_percent(baseline: int, current: int) -> float | None:
    """Drop from baseline as a percentage of baseline (negative when worse), one decimal."""
    if baseline <= 0:
        return None
    return round((baseline - current) * 100 / baseline, 1)


def review_measures(
    measures: Sequence[Measure], *, at_session: int, review_date: dt.date | None
) -> tuple[Measure, Measure] | None:
    """(baseline, measure at the review point), or None while the review point has no score.

    The baseline is the course's first administration of the scale (as in
    charting/scoring.py `outcome`). The review measure is the first later one tied to the
    review session or a later one, or, when not tied to a session, taken on or after the
    review session's local day.
    """
    if len(measures) < 2:
        return None
    baseline, rest = measures[0], measures[1:]
    for measure in rest:
        if measure.session_number is not None:
            if measure.session_number >= at_session:
                return baseline, measure
        elif review_date is not None and measure.local_date >= review_date:
            return baseline, measure
    return None


def review_finding(*, baseline: int, current: int, min_improvement_percent: int) -> ReviewFinding:
    """Less than `min_improvement_percent` improvement needs the prescriber's review."""
    percent = improvement_percent(baseline, current)
    needs = percent is not None and percent < min_improvement_percent
    return ReviewFinding(baseline, current, percent, min_improvement_percent, needs)
