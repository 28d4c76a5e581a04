"""The pure self-report schedule and early-improvement arithmetic (no database)."""

from __future__ import annotations

import datetime as dt

from charting.scoring import Taken, improvement_percent
from charting.self_report_schedule import (
    END_GRACE_DAYS,
    DueState,
    SessionPoint,
    open_point,
    point_states,
    review_finding,
    review_measures,
    self_report_points,
)

D = dt.date


def _sessions() -> list[SessionPoint]:
    # Session 1 on 9 March, 10 on 20 March, 20 on 3 April (weekdays).
    return [
        SessionPoint(1, D(2026, 3, 9), ("phq9", "gad7")),
        SessionPoint(2, D(2026, 3, 10), ()),
        SessionPoint(10, D(2026, 3, 20), ("phq9",)),
        SessionPoint(20, D(2026, 4, 3), ("phq9", "gad7", "madrs")),
    ]


def test_points_open_on_their_session_day_and_close_when_the_next_opens():
    points = self_report_points(
        sessions=_sessions(), self_report_scales={"phq9", "gad7"}, booked_on=D(2026, 3, 6)
    )
    phq = [p for p in points if p.scale == "phq9"]
    assert [(p.session_number, p.opens_on, p.closes_on, p.baseline) for p in phq] == [
        (1, D(2026, 3, 6), D(2026, 3, 19), True),
        (10, D(2026, 3, 20), D(2026, 4, 2), False),
        (20, D(2026, 4, 3), D(2026, 4, 3) + dt.timedelta(days=END_GRACE_DAYS), False),
    ]
    # A clinician-rated scale is never a self-report point.
    assert {p.scale for p in points} == {"phq9", "gad7"}


def test_cancelled_sessions_carry_no_point():
    sessions = [*_sessions()[:2], SessionPoint(10, D(2026, 3, 20), ("phq9",), active=False)]
    points = self_report_points(
        sessions=sessions, self_report_scales={"phq9"}, booked_on=D(2026, 3, 6)
    )
    assert [p.session_number for p in points] == [1]


def test_states_on_a_day_in_the_middle_of_the_course():
    points = self_report_points(
        sessions=_sessions(), self_report_scales={"phq9"}, booked_on=D(2026, 3, 6)
    )
    states = point_states(points, today=D(2026, 3, 25), submitted={("phq9", 1)})
    assert [s.state for s in states] == [DueState.SUBMITTED, DueState.DUE, DueState.UPCOMING]
    states = point_states(points, today=D(2026, 4, 5), submitted=set(), started={("phq9", 20)})
    assert [s.state for s in states] == [DueState.MISSED, DueState.MISSED, DueState.IN_PROGRESS]
    point = open_point(points, scale="phq9", today=D(2026, 3, 20))
    assert point is not None and point.session_number == 10
    assert open_point(points, scale="phq9", today=D(2026, 5, 1)) is None


def test_improvement_percent():
    assert improvement_percent(20, 18) == 10.0
    assert improvement_percent(20, 14) == 30.0
    assert improvement_percent(20, 24) == -20.0
    assert improvement_percent(0, 3) is None


def test_review_needed_below_the_threshold_only():
    assert review_finding(baseline=20, current=18, min_improvement_percent=20).needs_review
    assert not review_finding(baseline=20, current=14, min_improvement_percent=20).needs_review
    # Exactly 20% is not "less than 20%".
    assert not review_finding(baseline=20, current=16, min_improvement_percent=20).needs_review
    # No baseline to improve from: nothing to review on this rule.
    assert not review_finding(baseline=0, current=0, min_improvement_percent=20).needs_review


def test_review_measure_is_the_first_at_or_after_the_review_session():
    base = Taken(total=20, session_number=1, local_date=D(2026, 3, 9))
    early = Taken(total=19, session_number=5, local_date=D(2026, 3, 13))
    at10 = Taken(total=18, session_number=10, local_date=D(2026, 3, 20))
    later = Taken(total=10, session_number=11, local_date=D(2026, 3, 23))
    assert (
        review_measures([base, early], baseline_at=0, at_session=10, review_date=D(2026, 3, 20))
        is None
    )
    assert review_measures(
        [base, early, at10, later], baseline_at=0, at_session=10, review_date=None
    ) == (
        base,
        at10,
    )
    # Not tied to a session: counts from the review session's day.
    loose = Taken(total=15, session_number=None, local_date=D(2026, 3, 21))
    assert review_measures(
        [base, loose], baseline_at=0, at_session=10, review_date=D(2026, 3, 20)
    ) == (
        base,
        loose,
    )
