"""Read-side queries for the lists staff work from: the open-alert count in the navigation,
alert and REMS monitoring-form lists, the early-improvement reviews waiting for a decision, the
nurse's day and the clinician's queue. Each within the reader's sites, in a fixed number of
queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from charting.alerts import alert_is_severe
from charting.discharge import observation_sign_inputs
from charting.models import (
    Alert,
    EarlyReview,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationRecord,
    ScreeningResponse,
)
from charting.rems_due import form_overdue, latest_today, monitoring_forms_due_now, site_today
from charting.selectors.chart import chart_reader_require
from charting.selectors.patient_reports import alerts_visible, patient_report_reader_require
from clinic.models import Site
from clinic.permissions import filter_sites, user_site_ids
from scheduling.availability import local_day_bounds
from scheduling.models import Session

ALERT_LIST_LIMIT = 500


def open_alert_count(*, user: User) -> int:
    """Unacknowledged alerts at the user's sites, for the staff navigation. One query."""
    return filter_sites(Alert.objects.filter(acknowledged_at__isnull=True), user).count()


def alert_list(
    *, user: User, open_only: bool, session_id: int | None, course_id: int | None
) -> list[Alert]:
    """Alerts at the user's sites (open ones only by default), at most ALERT_LIST_LIMIT."""
    chart_reader_require(user=user)
    qs = alerts_visible(filter_sites(Alert.objects.select_related("acknowledged_by"), user), user)
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    return list(qs[:ALERT_LIST_LIMIT])


def monitoring_form_list(*, user: User, status: str) -> list[MonitoringFormItem]:
    """REMS monitoring forms at the user's sites with `status` ("all" for any), oldest due
    first."""
    chart_reader_require(user=user)
    qs = filter_sites(
        MonitoringFormItem.objects.select_related("patient", "session", "site", "submitted_by"),
        user,
    )
    if status != "all":
        qs = qs.filter(status=status)
    return list(qs.order_by("due_date", "id"))


def monitoring_forms_due_for_reader(*, user: User, now: dt.datetime) -> list[MonitoringFormItem]:
    """Open REMS monitoring forms due within 2 days or overdue at the user's sites, each site
    judged by its own local date: the list the daily job emails to each site's clinicians."""
    chart_reader_require(user=user)
    allowed = user_site_ids(user)
    return monitoring_forms_due_now(site_ids=None if allowed is None else sorted(allowed), now=now)


def early_review_list(*, user: Any, open_only: bool) -> list[EarlyReview]:
    """Early-improvement reviews at the user's sites (those waiting for a decision by
    default), oldest first."""
    patient_report_reader_require(user=user)
    qs = filter_sites(EarlyReview.objects.select_related("decided_by", "patient"), user)
    if open_only:
        qs = qs.filter(status=EarlyReview.Status.OPEN)
    return list(qs.order_by("raised_at", "id")[:ALERT_LIST_LIMIT])


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
    records (checkpoints, current entries and the open alerts the sign-off predicate reads).
    Seven queries."""
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
        .select_related("template", "site", "session")
        .prefetch_related(*observation_sign_inputs())
    }
    return NurseDay(site, day, sessions, course_screenings, session_screenings, records)


@dataclass
class AlertQueue:
    alerts: list[Alert]
    screenings: list[ScreeningResponse]
    overdue_checkpoints: list[ObservationCheckpoint]
    overdue_forms: list[MonitoringFormItem]
    alert_rows: list[AlertRow] = field(default_factory=list)


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    # When the patient was signed out (the session's observation record): the alert is read
    # after the patient has left.
    discharged_at: dt.datetime | None
    # A safety or severe alert: acknowledged with a note (alert_is_severe).
    needs_note: bool


OVERDUE_GRACE = dt.timedelta(minutes=5)
QUEUE_LIMIT = 200


def alert_queue(*, user: Any, now: dt.datetime) -> AlertQueue:
    """What a clinician must look at, across the user's sites: open alerts, screenings with a
    hard stop or items to review, checkpoints of open records past due with nothing recorded,
    and REMS monitoring forms past their due date. Four queries."""
    alerts = list(
        filter_sites(Alert.objects.all(), user)
        .filter(acknowledged_at__isnull=True)
        .select_related("patient", "site", "session__observation")
        .order_by("-raised_at", "-id")[:QUEUE_LIMIT]
    )
    rows = []
    for a in alerts:
        record = getattr(a.session, "observation", None) if a.session is not None else None
        signed_at = record.signed_at if record is not None else None
        rows.append(AlertRow(a, signed_at, alert_is_severe(a)))
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
    # Overdue means past the due date in the site's own calendar: query the widest candidates
    # (no zone is a day ahead of UTC's date plus one), then judge each in its site's zone.
    forms = [
        f
        for f in filter_sites(MonitoringFormItem.objects.all(), user)
        .filter(status=MonitoringFormItem.Status.OPEN, due_date__lt=latest_today(now))
        .select_related("patient", "site", "session")
        .order_by("due_date")[:QUEUE_LIMIT]
        if form_overdue(f.due_date, site_today(now, f.site.zone))
    ]
    return AlertQueue(alerts, screenings, overdue, forms, rows)
