"""What the course summary PDF shows (charting/documents/course_summary.py): the course, every
session on its own line, alerts and their reviews, scales, outcomes and the early-improvement
review, in a fixed number of queries whatever the number of sessions. Callers check roles and
sites first (charting/api/documents.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict
from zoneinfo import ZoneInfo

from django.db.models import F

from charting import scoring
from charting.baselines import first_session_of, scale_outcome, scale_points
from charting.documents.course_summary import (
    AlertLine,
    CourseSummaryData,
    EarlyReviewInfo,
    OutcomeLine,
    ScaleLine,
    SessionLine,
)
from charting.models import Alert, ScaleAdministration, ScaleSource
from charting.selectors.documents.base import (
    alerts_shown,
    parameter_lines,
    patient_info,
    person,
    scales_label,
)
from charting.trajectory import scale_series
from scheduling.models import Course, ResourceHold, Session

if TYPE_CHECKING:  # django-stubs-ext is a typing (test) dependency, not a runtime one
    from django_stubs_ext import WithAnnotations


class _WithParameters(TypedDict):
    """What `_sessions` annotates on each session row."""

    parameter_values: dict[str, Any] | None


def course_summary_data(
    *, course_id: int, now: dt.datetime, answers_shown: bool
) -> CourseSummaryData:
    """Queries: course (with its early review), sessions with their parameters, holds, session
    history, alerts, scales (6).

    `answers_shown` is the reader's `patient_answers_visible`
    (charting/selectors/patient_reports.py): without it the summary has no scales, outcomes or
    early review, and no alert that quotes an answer (the renderer says so)."""
    course = Course.objects.select_related(
        "patient", "protocol", "site", "prescriber", "early_review__decided_by"
    ).get(pk=course_id)
    zone = course.site.zone
    sessions = _sessions(course_id)
    numbers = {s.pk: s.number for s in sessions}
    lines = _session_lines(course_id, sessions, zone)
    alerts = _alert_lines(course_id, numbers, zone, answers_shown)
    rows = _scale_rows(course_id) if answers_shown else []
    return CourseSummaryData(
        site_name=course.site.name,
        zone_name=course.site.timezone,
        generated_at=now.astimezone(zone),
        patient=patient_info(course),
        protocol=course.protocol.name,
        protocol_version=course.protocol.version,
        modality=course.modality,
        indication=course.protocol.indication,
        prescriber=person(course.prescriber),
        course_status=course.get_status_display(),
        start_date=course.start_date,
        sessions=lines,
        alerts=alerts,
        scales=[_scale_line(row, numbers, zone) for row in rows],
        outcomes=_outcome_lines(rows, sessions, numbers, zone),
        early_review=_early_review_info(course, zone) if answers_shown else None,
        answers_shown=answers_shown,
    )


# --- sessions -----------------------------------------------------------------------------


def _sessions(course_id: int) -> list[WithAnnotations[Session, _WithParameters]]:
    # Each session's treatment parameters (one-to-one) come in the same row. Only the columns
    # read below: converting a session's other timestamps was a tenth of the read time (a field
    # left out here costs a query per session when read; the query-count test catches that).
    return list(
        Session.objects.filter(course_id=course_id)
        .annotate(parameter_values=F("parameters__values"))
        .only("number", "phase", "start", "end", "status", "status_reason")
        .order_by("number", "id")
    )


def _resource_names(course_id: int) -> dict[int, list[str]]:
    """Each session's resource names in hold order, in one query of plain rows (a prefetch
    would build a hold and a resource object per row, most of the course summary's read time)."""
    names: dict[int, list[str]] = {}
    for session_id, name in (
        ResourceHold.objects.filter(session__course_id=course_id)
        .order_by("start", "id")
        .values_list("session_id", "resource__name")
    ):
        held = names.setdefault(session_id, [])
        if name not in held:
            held.append(name)
    return names


def _first_starts(course_id: int) -> dict[int, dt.datetime]:
    """The first start each session was booked at, from its history: a later start is a move."""
    first_start: dict[int, dt.datetime] = {}
    for sid, start in (
        Session.history.filter(course_id=course_id)
        .order_by("history_date", "history_id")
        .values_list("id", "start")
    ):
        first_start.setdefault(sid, start)
    return first_start


def _session_lines(
    course_id: int, sessions: list[WithAnnotations[Session, _WithParameters]], zone: ZoneInfo
) -> list[SessionLine]:
    resources = _resource_names(course_id)
    first_start = _first_starts(course_id)
    lines = []
    for s in sessions:
        notes = []
        booked = first_start.get(s.pk, s.start)
        if booked != s.start:
            notes.append(f"moved from {booked.astimezone(zone):%a %d %b %H:%M}")
        if s.status_reason:
            notes.append(s.status_reason)
        lines.append(
            SessionLine(
                number=s.number,
                phase=s.phase,
                start=s.start.astimezone(zone),
                end=s.end.astimezone(zone),
                resources=resources.get(s.pk, []),
                status=s.get_status_display(),
                note="; ".join(notes),
                parameters=parameter_lines(s.parameter_values or {}, zone),
            )
        )
    return lines


# --- alerts -------------------------------------------------------------------------------


def _alert_lines(
    course_id: int, numbers: dict[int, int], zone: ZoneInfo, answers_shown: bool
) -> list[AlertLine]:
    return [
        AlertLine(
            raised_at=a.raised_at.astimezone(zone),
            kind=a.get_kind_display(),
            message=a.message,
            session_number=numbers.get(a.session_id) if a.session_id else None,
            reviewed=(
                f"{person(a.acknowledged_by)}, "
                f"{a.acknowledged_at.astimezone(zone):%d %b %Y %H:%M}"
                + (f": {a.note}" if a.note else "")
                if a.acknowledged_at
                else ""
            ),
        )
        for a in alerts_shown(Alert.objects.filter(course_id=course_id), answers_shown)
        .select_related("acknowledged_by")
        .order_by("raised_at", "id")
    ]


# --- scales and outcomes ------------------------------------------------------------------


def _scale_rows(course_id: int) -> list[ScaleAdministration]:
    return list(
        ScaleAdministration.objects.filter(course_id=course_id)
        .select_related("baseline_marked_by")
        .order_by("administered_at", "id")
    )


def _scale_line(row: ScaleAdministration, numbers: dict[int, int], zone: ZoneInfo) -> ScaleLine:
    definition = scoring.get_scale(row.scale)
    return ScaleLine(
        scale=definition.name.upper().replace("PHQ9", "PHQ-9").replace("GAD7", "GAD-7"),
        administered_at=row.administered_at.astimezone(zone),
        session_number=numbers.get(row.session_id) if row.session_id else None,
        total=row.total,
        band=row.band,
        self_report=definition.rater == "self",
        by_patient=row.source == ScaleSource.PATIENT,
    )


def _outcome_lines(
    rows: list[ScaleAdministration],
    sessions: Sequence[Session],
    numbers: dict[int, int],
    zone: ZoneInfo,
) -> list[OutcomeLine]:
    """One line per scale used, the patient's own (self-report) scales first."""
    by_scale: dict[str, list[ScaleAdministration]] = {}
    for row in rows:
        by_scale.setdefault(row.scale, []).append(row)
    first = first_session_of(
        ((s.number, s.start, s.status not in Session.INACTIVE) for s in sessions), zone=zone
    )
    outcomes = [
        _outcome_line(
            name,
            items,
            scale_outcome(name, items, first_session=first, zone=zone, numbers=numbers),
            numbers,
            zone,
        )
        for name, items in sorted(by_scale.items())
    ]
    outcomes.sort(key=lambda o: not o.self_report)
    return outcomes


def _outcome_line(
    name: str,
    items: list[ScaleAdministration],
    result: scoring.Outcome,
    numbers: dict[int, int],
    zone: ZoneInfo,
) -> OutcomeLine:
    definition = scoring.get_scale(name)
    marked = items[result.baseline_at] if result.baseline_at is not None else None
    return OutcomeLine(
        scale=scales_label(name),
        title=definition.title,
        baseline=result.baseline,
        baseline_at=result.baseline_at,
        baseline_mark=(
            f"Marked as baseline by {person(marked.baseline_marked_by)}, "
            f"{marked.baseline_marked_at.astimezone(zone):%d %b %Y}: "
            f"{marked.baseline_reason}"
            if marked is not None and marked.baseline_marked_at is not None
            else ""
        ),
        latest=result.latest,
        change_pct=result.change_pct,
        response=result.response,
        remission=result.remission,
        series=scale_series(
            name,
            scale_points(items, zone=zone, numbers=numbers),
            baseline_at=result.baseline_at,
        ),
        self_report=definition.rater == "self",
    )


def _early_review_info(course: Course, zone: ZoneInfo) -> EarlyReviewInfo | None:
    # Loaded with the course (select_related): no query of its own.
    review = getattr(course, "early_review", None)
    if review is None:
        return None
    return EarlyReviewInfo(
        status=review.get_status_display(),
        scale=scales_label(review.scale),
        at_session=review.at_session,
        baseline_total=review.baseline_total,
        measured_total=review.measured_total,
        improvement_percent=(
            None if review.improvement_percent is None else float(review.improvement_percent)
        ),
        threshold_percent=review.threshold_percent,
        evidence=review.evidence,
        citation=review.citation,
        raised_at=review.raised_at.astimezone(zone),
        decision=review.get_decision_display() if review.decision else "",
        note=review.note,
        decided_by=person(review.decided_by),
        decided_at=review.decided_at.astimezone(zone) if review.decided_at else None,
    )
