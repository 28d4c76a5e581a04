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
session 20 upcoming. Had the nurse entered a PHQ-9 at session 10 (or on any day from 20 March
to 2 April), the session-10 point would read "recorded in clinic" and not be asked for.

The early-improvement review (CLINICAL.md §6, [Iowa 2022]): improvement is the drop from
baseline as a percentage of baseline, (baseline - current) / baseline x 100 (charting/scoring.py
`improvement_percent`, the outcome's change read the other way); less than the protocol's
threshold (20%) at the review session raises a review item. Baseline 20, at session
10: 18 is 10% (review), 14 is 30% (no review), 16 is exactly 20% (no review: "less than").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from charting.scoring import Taken, improvement_percent

END_GRACE_DAYS = 7


class DueState(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    # The same scale was entered by staff (in clinic) for this point: not asked again.
    RECORDED_IN_CLINIC = "recorded_in_clinic"
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


@dataclass(frozen=True, slots=True)
class StaffEntry:
    """A scale entered by staff: which scale, the session it was tied to (if any), its local
    day."""

    scale: str
    session_number: int | None
    local_date: dt.date


def points_recorded_in_clinic(
    points: Sequence[DuePoint], entries: Sequence[StaffEntry]
) -> set[tuple[str, int]]:
    """The (scale, session_number) points that staff already recorded the same scale for: tied
    to the point's session, or taken on a day the point is open. The patient is not asked
    twice (a PHQ-9 done with the nurse at session 10 is that day's PHQ-9)."""
    done: set[tuple[str, int]] = set()
    for point in points:
        for entry in entries:
            if entry.scale != point.scale:
                continue
            tied = entry.session_number == point.session_number
            if tied or point.opens_on <= entry.local_date <= point.closes_on:
                done.add((point.scale, point.session_number))
                break
    return done


def point_states(
    points: Sequence[DuePoint],
    *,
    today: dt.date,
    submitted: Collection[tuple[str, int]],
    started: Collection[tuple[str, int]] = (),
    recorded_in_clinic: Collection[tuple[str, int]] = (),
) -> list[PointStatus]:
    """Each point's state on `today` (a local date); `submitted`, `started` and
    `recorded_in_clinic` hold (scale, session_number) keys. A started draft stays resumable
    while its point is open, unless staff recorded the scale meanwhile."""
    out: list[PointStatus] = []
    for point in points:
        key = (point.scale, point.session_number)
        if key in submitted:
            state = DueState.SUBMITTED
        elif key in recorded_in_clinic:
            state = DueState.RECORDED_IN_CLINIC
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
class ReviewFinding:
    baseline: int
    current: int
    # None when the baseline is 0 (no improvement can be measured from it).
    improvement_percent: float | None
    threshold_percent: int
    needs_review: bool


def review_measures(
    measures: Sequence[Taken],
    *,
    baseline_at: int | None,
    at_session: int,
    review_date: dt.date | None,
) -> tuple[Taken, Taken] | None:
    """(baseline, measure at the review point), or None while either is missing.

    The baseline is `measures[baseline_at]`, from the one rule (charting/scoring.py
    `baseline_index`: taken before or at the first session, or marked by a clinician); no
    baseline, no review. The review measure is the first later one tied to the review session
    or a later one, or, when not tied to a session, taken on or after the review session's
    local day. (The caller evaluates only once the review session is completed.)
    """
    if baseline_at is None:
        return None
    baseline, rest = measures[baseline_at], measures[baseline_at + 1 :]
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
