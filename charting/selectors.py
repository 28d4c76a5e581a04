"""Read-side queries for charting: one record within the reader's sites, lists, and what a
session's chart shows. They return model rows (or small dataclasses of rows); the API maps
them to its Out schemas (charting/api/builders.py).

Every lookup is scoped to the user's sites: another site's row is "not found", like one that
does not exist. Reading a chart needs a staff role (not the admin role alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from charting import scoring
from charting.gates import check_in_allowed, complete_allowed, start_allowed
from charting.models import (
    Alert,
    Amendment,
    FormTemplate,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    ScaleAdministration,
    ScreeningResponse,
    TreatmentParameters,
)
from charting.observations import observation_missing
from clinic.errors import DomainError, NotFound
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER
from clinic.permissions import filter_sites, require_role
from scheduling.models import Course, Session
from scheduling.selectors import course_for_reader, session_for_reader

CHART_READERS = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)
ALERT_LIST_LIMIT = 500


def chart_reader_require(*, user: User) -> None:
    """403 unless the user may read charts (any clinical or scheduling role)."""
    require_role(user, *CHART_READERS, action="read charts")


def _one_within_sites(queryset: QuerySet[Any], user: User, pk: int, code: str, what: str) -> Any:
    chart_reader_require(user=user)
    row = filter_sites(queryset, user).filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No {what} {pk}.", code=code)
    return row


# --- one record within the reader's sites (403 without a chart-reading role) -------------------


def chart_session(*, user: User, session_id: int) -> Session:
    """The session whose chart the user reads (404 `session_not_found` at another site)."""
    chart_reader_require(user=user)
    return session_for_reader(user=user, session_id=session_id)


def chart_course(*, user: User, course_id: int) -> Course:
    """The course whose chart the user reads (404 `course_not_found` at another site)."""
    chart_reader_require(user=user)
    return course_for_reader(user=user, course_id=course_id)


def observation_record_for_reader(*, user: User, record_id: int) -> ObservationRecord:
    qs = ObservationRecord.objects.select_related("template", "session__course", "site")
    return _one_within_sites(qs, user, record_id, "observation_not_found", "observation record")


def screening_for_reader(*, user: User, screening_id: int) -> ScreeningResponse:
    qs = ScreeningResponse.objects.select_related("template")
    return _one_within_sites(qs, user, screening_id, "screening_not_found", "screening")


def alert_for_reader(*, user: User, alert_id: int) -> Alert:
    return _one_within_sites(Alert.objects.all(), user, alert_id, "alert_not_found", "alert")


def monitoring_form_for_reader(*, user: User, item_id: int) -> MonitoringFormItem:
    qs = MonitoringFormItem.objects.select_related("patient", "session", "site")
    return _one_within_sites(qs, user, item_id, "monitoring_form_not_found", "monitoring form")


def monitoring_form_get(*, item_id: int) -> MonitoringFormItem:
    """A monitoring form with what its Out shape reads (after a service changed it)."""
    return MonitoringFormItem.objects.select_related("patient", "session", "site").get(pk=item_id)


# --- a course's or session's records -----------------------------------------------------------


def course_screening_get(*, course: Course) -> ScreeningResponse:
    row = ScreeningResponse.objects.filter(course=course, level="course").first()
    if row is None:
        raise NotFound("The course screening has not been completed.", code="screening_not_found")
    return row


def session_screening_get(*, session: Session) -> ScreeningResponse:
    row = ScreeningResponse.objects.filter(session=session, level="session").first()
    if row is None:
        raise NotFound("The session screening has not been completed.", code="screening_not_found")
    return row


def session_observation_get(*, session: Session) -> ObservationRecord:
    record = ObservationRecord.objects.filter(session=session).first()
    if record is None:
        raise NotFound(
            "No observation record: it opens when the session starts.",
            code="observation_not_found",
        )
    return record


def session_parameters_get(*, session: Session) -> TreatmentParameters:
    row = TreatmentParameters.objects.filter(session=session).first()
    if row is None:
        raise NotFound("No parameters recorded for this session.", code="parameters_not_found")
    return row


# --- lists -------------------------------------------------------------------------------------


def alert_list(
    *, user: User, open_only: bool, session_id: int | None, course_id: int | None
) -> list[Alert]:
    """Alerts at the user's sites (open ones only by default), at most ALERT_LIST_LIMIT."""
    chart_reader_require(user=user)
    qs = filter_sites(Alert.objects.select_related("acknowledged_by"), user)
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


def template_list(*, user: User) -> list[FormTemplate]:
    chart_reader_require(user=user)
    return list(FormTemplate.objects.order_by("slug", "-version"))


def template_get(*, user: User, slug: str, version: int | None) -> FormTemplate:
    """The newest version of a template, or `version`; 404 `template_not_found`."""
    chart_reader_require(user=user)
    qs = FormTemplate.objects.filter(slug=slug)
    row = (qs.filter(version=version) if version else qs.order_by("-version")).first()
    if row is None:
        raise NotFound(f"No form template {slug!r}.", code="template_not_found")
    return row


# --- composite reads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationDetail:
    """An observation record with everything its chart shows, loaded in a fixed number of
    queries: entries in time order, what each checkpoint still misses, amendments (with the
    entries they replaced) and alerts."""

    record: ObservationRecord
    entries: list[ObservationEntry]
    missing: dict[str, list[str]]
    checkpoints: list[ObservationCheckpoint]
    amendments: list[Amendment]
    alerts: list[Alert]


def observation_detail(*, record: ObservationRecord) -> ObservationDetail:
    entries = list(
        record.entries.select_related("recorded_by", "checkpoint").order_by("taken_at", "id")
    )
    missing = observation_missing(record)
    return ObservationDetail(
        record=record,
        entries=entries,
        missing=missing,
        checkpoints=list(record.checkpoints.all()),
        amendments=list(record.amendments.select_related("amended_by")),
        alerts=list(record.alerts.select_related("acknowledged_by")),
    )


@dataclass(frozen=True)
class Gate:
    """Whether a lifecycle step is allowed now, and if not, the error code and message."""

    allowed: bool
    code: str | None
    message: str | None


def _gate(check: Callable[[Session], None], session: Session) -> Gate:
    try:
        check(session)
    except DomainError as exc:
        return Gate(allowed=False, code=exc.code, message=exc.message)
    return Gate(allowed=True, code=None, message=None)


@dataclass(frozen=True)
class SessionChart:
    """What a session's chart shows: its screenings, observation record, parameters, open
    alerts, and whether check-in, start and completion are allowed."""

    session: Session
    course_screening: ScreeningResponse | None
    session_screening: ScreeningResponse | None
    record: ObservationRecord | None
    parameters: TreatmentParameters | None
    open_alerts: list[Alert]
    check_in: Gate
    start: Gate
    complete: Gate


def session_chart(*, session: Session) -> SessionChart:
    return SessionChart(
        session=session,
        course_screening=ScreeningResponse.objects.filter(
            course_id=session.course_id, level="course"
        ).first(),
        session_screening=ScreeningResponse.objects.filter(
            session=session, level="session"
        ).first(),
        record=ObservationRecord.objects.filter(session=session).first(),
        parameters=TreatmentParameters.objects.filter(session=session).first(),
        open_alerts=list(Alert.objects.filter(session=session, acknowledged_at__isnull=True)),
        check_in=_gate(check_in_allowed, session),
        start=_gate(start_allowed, session),
        complete=_gate(complete_allowed, session),
    )


def course_outcomes(*, course: Course) -> list[tuple[scoring.Outcome, list[ScaleAdministration]]]:
    """Per scale used in the course: baseline (first), trajectory, response and remission."""
    rows = list(ScaleAdministration.objects.filter(course=course).order_by("administered_at", "id"))
    by_scale: dict[str, list[ScaleAdministration]] = {}
    for row in rows:
        by_scale.setdefault(row.scale, []).append(row)
    return [
        (scoring.outcome(name, [r.total for r in items]), items)
        for name, items in sorted(by_scale.items())
    ]
