"""Read-side queries for a session's or course's chart: one record within the reader's sites,
a course's or session's records, form templates, and what a session's chart and observation
form show. They return model rows (or small dataclasses of rows); the API maps them to its Out
schemas (charting/api/builders.py).

Every lookup is scoped to the user's sites: another site's row is "not found", like one that
does not exist (clinic/selectors.py `one_within_sites`). Reading a chart needs a staff role (not
the admin role alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import Model, QuerySet

from charting.discharge import observation_missing
from charting.error_codes import (
    ERR_ALERT_NOT_FOUND,
    ERR_MONITORING_FORM_NOT_FOUND,
    ERR_OBSERVATION_NOT_FOUND,
    ERR_PARAMETERS_NOT_FOUND,
    ERR_SCREENING_NOT_FOUND,
    ERR_TEMPLATE_NOT_FOUND,
)
from charting.gates import check_in_allowed, complete_allowed, start_allowed
from charting.models import (
    Alert,
    Amendment,
    FormTemplate,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    ScreeningResponse,
    TreatmentParameters,
)
from charting.selectors.patient_reports import alerts_visible
from clinic.error_codes import ERR_SITE_NOT_FOUND
from clinic.errors import DomainError, NotFound
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, Site
from clinic.permissions import filter_sites, require_role
from clinic.selectors import one_within_sites
from scheduling.models import Course, Session
from scheduling.selectors import course_for_reader, session_for_reader

CHART_READERS = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)

M = TypeVar("M", bound=Model)


def chart_reader_require(*, user: User) -> None:
    """403 unless the user may read charts (any clinical or scheduling role)."""
    require_role(user, *CHART_READERS, action="read charts")


def _one_within_sites(queryset: QuerySet[M], user: User, pk: int, code: str, what: str) -> M:
    chart_reader_require(user=user)
    return one_within_sites(queryset, user=user, pk=pk, code=code, what=what)


# --- one record within the reader's sites (403 without a chart-reading role) ------------------


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
    return _one_within_sites(qs, user, record_id, ERR_OBSERVATION_NOT_FOUND, "observation record")


def screening_for_reader(*, user: User, screening_id: int) -> ScreeningResponse:
    qs = ScreeningResponse.objects.select_related("template", "patient")
    return _one_within_sites(qs, user, screening_id, ERR_SCREENING_NOT_FOUND, "screening")


def alert_for_reader(*, user: User, alert_id: int) -> Alert:
    qs = alerts_visible(Alert.objects.all(), user)
    return _one_within_sites(qs, user, alert_id, ERR_ALERT_NOT_FOUND, "alert")


def monitoring_form_for_reader(*, user: User, item_id: int) -> MonitoringFormItem:
    qs = MonitoringFormItem.objects.select_related("patient", "session", "site")
    return _one_within_sites(qs, user, item_id, ERR_MONITORING_FORM_NOT_FOUND, "monitoring form")


def chart_site(*, user: User, site_id: int | None) -> Site:
    """A site of the user whose documents they read (404 `site_not_found` for another site);
    `site_id=None`: the user's first site by name."""
    chart_reader_require(user=user)
    sites = filter_sites(Site.objects.order_by("name", "id"), user, field="id")
    site = sites.filter(pk=site_id).first() if site_id is not None else sites.first()
    if site is None:
        raise NotFound(f"No site {site_id}." if site_id else "No site.", code=ERR_SITE_NOT_FOUND)
    return site


def monitoring_form_get(*, item_id: int) -> MonitoringFormItem:
    """A monitoring form with what its Out shape reads (after a service changed it)."""
    return MonitoringFormItem.objects.select_related("patient", "session", "site").get(pk=item_id)


# --- a course's or session's records ----------------------------------------------------------


def course_screening_get(*, course: Course) -> ScreeningResponse:
    row = ScreeningResponse.objects.filter(course=course, level="course").first()
    if row is None:
        raise NotFound("The course screening has not been completed.", code=ERR_SCREENING_NOT_FOUND)
    return row


def session_screening_get(*, session: Session) -> ScreeningResponse:
    row = ScreeningResponse.objects.filter(session=session, level="session").first()
    if row is None:
        raise NotFound(
            "The session screening has not been completed.", code=ERR_SCREENING_NOT_FOUND
        )
    return row


def session_observation_get(*, session: Session) -> ObservationRecord:
    record = ObservationRecord.objects.filter(session=session).first()
    if record is None:
        raise NotFound(
            "No observation record: it opens when the session starts.",
            code=ERR_OBSERVATION_NOT_FOUND,
        )
    return record


def session_parameters_get(*, session: Session) -> TreatmentParameters:
    row = TreatmentParameters.objects.filter(session=session).first()
    if row is None:
        raise NotFound("No parameters recorded for this session.", code=ERR_PARAMETERS_NOT_FOUND)
    return row


# --- form templates ---------------------------------------------------------------------------


def template_list(*, user: User) -> list[FormTemplate]:
    chart_reader_require(user=user)
    return list(FormTemplate.objects.order_by("slug", "-version"))


def template_get(*, user: User, slug: str, version: int | None) -> FormTemplate:
    """The newest version of a template, or `version`; 404 `template_not_found`."""
    chart_reader_require(user=user)
    qs = FormTemplate.objects.filter(slug=slug)
    row = (qs.filter(version=version) if version else qs.order_by("-version")).first()
    if row is None:
        raise NotFound(f"No form template {slug!r}.", code=ERR_TEMPLATE_NOT_FOUND)
    return row


# --- composite reads --------------------------------------------------------------------------


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


def session_chart(*, session: Session, user: User) -> SessionChart:
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
        open_alerts=list(
            alerts_visible(
                Alert.objects.filter(session=session, acknowledged_at__isnull=True), user
            )
        ),
        check_in=_gate(check_in_allowed, session),
        start=_gate(start_allowed, session),
        complete=_gate(complete_allowed, session),
    )


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


def checkpoint_next_due(view: ChartView) -> ObservationCheckpoint | None:
    """The checkpoint the nurse does next: the first required one, in form order, with nothing
    recorded, while the record is open (the rule /nurse/ names as "Next checkpoint")."""
    if view.record.status != ObservationRecord.Status.OPEN:
        return None
    return next((c for c in view.checkpoints if c.required and not view.entries.get(c.pk)), None)
