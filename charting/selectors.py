"""Read-side queries for the charting pages, each a fixed number of queries however many
sessions, entries or alerts there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from charting.models import (
    Alert,
    Amendment,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    ScreeningResponse,
)
from clinic.errors import NotFound
from clinic.models import Site
from clinic.permissions import filter_sites
from scheduling.availability import local_day_bounds
from scheduling.models import Course, Session


def session_for_chart(*, user: Any, session_id: int) -> Session:
    """A session of the user's sites with its course, protocol, site and patient; else 404."""
    session = (
        filter_sites(Session.objects.all(), user)
        .select_related("course__protocol", "site", "patient")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound(f"No session {session_id}.", code="session_not_found")
    return session


def course_for_chart(*, user: Any, course_id: int) -> Course:
    course = (
        filter_sites(Course.objects.all(), user)
        .select_related("protocol", "site", "patient")
        .filter(pk=course_id)
        .first()
    )
    if course is None:
        raise NotFound(f"No course {course_id}.", code="course_not_found")
    return course


@dataclass
class NurseDay:
    site: Site
    day: dt.date
    sessions: list[Session]
    course_screenings: dict[int, ScreeningResponse]
    session_screenings: dict[int, ScreeningResponse]
    records: dict[int, ObservationRecord]


def nurse_day(*, user: Any, site: Site, day: dt.date) -> NurseDay:
    """The site's sessions starting on local `day` with their screenings and observation
    records (checkpoints and current entries). Six queries."""
    start, end = local_day_bounds(day, site.zone)
    sessions = list(
        filter_sites(Session.objects.all(), user)
        .filter(site_id=site.pk, start__gte=start, start__lt=end)
        .select_related("patient", "course__protocol")
        .order_by("start", "id")
    )
    course_ids = {s.course_id for s in sessions}
    session_ids = [s.pk for s in sessions]
    screenings = ScreeningResponse.objects.filter(course_id__in=course_ids).filter(
        level=ScreeningResponse.Level.COURSE
    ) | ScreeningResponse.objects.filter(session_id__in=session_ids)
    course_screenings: dict[int, ScreeningResponse] = {}
    session_screenings: dict[int, ScreeningResponse] = {}
    for s in screenings.defer("answers"):
        if s.level == ScreeningResponse.Level.COURSE:
            course_screenings[s.course_id] = s
        elif s.session_id is not None:
            session_screenings[s.session_id] = s
    records = {
        r.session_id: r
        for r in ObservationRecord.objects.filter(session_id__in=session_ids)
        .select_related("template")
        .prefetch_related(
            "checkpoints",
            Prefetch(
                "entries",
                queryset=ObservationEntry.objects.filter(superseded_by__isnull=True).only(
                    "id", "record_id", "checkpoint_id", "field_key"
                ),
            ),
        )
    }
    return NurseDay(site, day, sessions, course_screenings, session_screenings, records)


@dataclass
class ChartView:
    record: ObservationRecord
    checkpoints: list[ObservationCheckpoint]
    # Per checkpoint id: entries in time order, amended originals included.
    entries: dict[int, list[ObservationEntry]] = field(default_factory=dict)
    amendments: dict[int, Amendment] = field(default_factory=dict)  # by replacement entry id


def observation_chart(record: ObservationRecord) -> ChartView:
    """A record's checkpoints, every entry (current and superseded) and the amendments that
    link them. Three queries."""
    checkpoints = list(record.checkpoints.order_by("position"))
    view = ChartView(record, checkpoints, {cp.pk: [] for cp in checkpoints})
    for entry in record.entries.select_related("recorded_by").order_by("taken_at", "id"):
        view.entries.setdefault(entry.checkpoint_id, []).append(entry)
    for amendment in record.amendments.select_related("amended_by"):
        view.amendments[amendment.replacement_id] = amendment
    return view


@dataclass
class AlertQueue:
    alerts: list[Alert]
    screenings: list[ScreeningResponse]
    overdue_checkpoints: list[ObservationCheckpoint]
    overdue_forms: list[MonitoringFormItem]


OVERDUE_GRACE = dt.timedelta(minutes=5)
QUEUE_LIMIT = 200


def alert_queue(*, user: Any, now: dt.datetime) -> AlertQueue:
    """What a clinician must look at, across the user's sites: open alerts, screenings with a
    hard stop or items to review, checkpoints of open records past due with nothing recorded,
    and REMS monitoring forms past their due date. Four queries."""
    alerts = list(
        filter_sites(Alert.objects.all(), user)
        .filter(acknowledged_at__isnull=True)
        .select_related("patient", "site", "session")
        .order_by("-raised_at", "-id")[:QUEUE_LIMIT]
    )
    screenings = [
        s
        for s in filter_sites(ScreeningResponse.objects.all(), user)
        .exclude(hard_stops=[], review_items=[])
        .filter(override_at__isnull=True, reviewed_at__isnull=True)
        .select_related("patient", "site", "template", "session")
        .order_by("completed_at")[:QUEUE_LIMIT]
        if s.blocking
    ]
    overdue = list(
        filter_sites(ObservationCheckpoint.objects.all(), user, field="record__site_id")
        .filter(
            record__status=ObservationRecord.Status.OPEN,
            required=True,
            due_at__lt=now - OVERDUE_GRACE,
            entries__isnull=True,
        )
        .select_related("record__patient", "record__site", "record__session")
        .order_by("due_at")[:QUEUE_LIMIT]
    )
    forms = list(
        filter_sites(MonitoringFormItem.objects.all(), user)
        .filter(status=MonitoringFormItem.Status.OPEN, due_date__lt=now.date())
        .select_related("patient", "site", "session")
        .order_by("due_date")[:QUEUE_LIMIT]
    )
    return AlertQueue(alerts, screenings, overdue, forms)
