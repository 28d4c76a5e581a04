"""Reading what the baseline rule needs (charting/scoring.py `baseline_index`, pure): the
course's first session and its administrations as `Taken` (and as the charts' points). One
place, so the outcomes page, the API, the PDF, the trajectories and the early-improvement
review all measure from the same baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from charting import scoring
from charting.models import ScaleAdministration
from charting.trajectory import ScorePoint
from scheduling.models import Course, Session


def first_session_of(
    sessions: Iterable[tuple[int, dt.datetime, bool]], *, zone: dt.tzinfo
) -> scoring.FirstSession | None:
    """From (number, start, active) rows: the first active session by start, in `zone`."""
    active = sorted((start, number) for number, start, is_active in sessions if is_active)
    if not active:
        return None
    start, number = active[0]
    return scoring.FirstSession(number=number, local_date=start.astimezone(zone).date())


def course_first_session(*, course: Course) -> scoring.FirstSession | None:
    """The course's first session that is not cancelled or a no-show (by start), for the
    baseline rule; None while none is booked (1 query)."""
    rows = Session.objects.filter(course=course).values_list("number", "start", "active")
    return first_session_of(rows, zone=course.site.zone)


def scale_taken(
    rows: Sequence[ScaleAdministration], *, zone: dt.tzinfo, numbers: dict[int, int]
) -> list[scoring.Taken]:
    """The administrations as the baseline rule reads them; `numbers`: session id -> number."""
    return [
        scoring.Taken(
            total=r.total,
            local_date=r.administered_at.astimezone(zone).date(),
            session_number=numbers.get(r.session_id) if r.session_id else None,
            marked_baseline=r.baseline_marked_at is not None,
        )
        for r in rows
    ]


def scale_points(
    rows: Sequence[ScaleAdministration], *, zone: dt.tzinfo, numbers: Mapping[int, int]
) -> list[ScorePoint]:
    """The administrations as the charts draw them (charting/trajectory.py `scale_series`);
    `numbers`: session id -> number."""
    return [
        ScorePoint(
            at=r.administered_at,
            day=r.administered_at.astimezone(zone).date(),
            total=r.total,
            source=r.source,
            session_number=numbers.get(r.session_id) if r.session_id else None,
            marked_baseline=r.baseline_marked_at is not None,
        )
        for r in rows
    ]


def scale_outcome(
    name: str,
    rows: Sequence[ScaleAdministration],
    *,
    first_session: scoring.FirstSession | None,
    zone: dt.tzinfo,
    numbers: dict[int, int],
) -> scoring.Outcome:
    """One scale's outcome from its administrations in time order, from the one baseline rule
    (the page, the API and the PDF all come here)."""
    taken = scale_taken(rows, zone=zone, numbers=numbers)
    return scoring.outcome(
        name,
        [t.total for t in taken],
        baseline_at=scoring.baseline_index(taken, first_session=first_session),
    )


def course_session_numbers(*, course: Course) -> dict[int, int]:
    return dict(Session.objects.filter(course=course).values_list("id", "number"))
