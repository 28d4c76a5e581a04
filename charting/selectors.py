"""Read-side queries for charting: one record within the reader's sites, lists, and what a
session's chart shows. They return model rows (or small dataclasses of rows); the API maps
them to its Out schemas (charting/api/builders.py).

Every lookup is scoped to the user's sites: another site's row is "not found", like one that
does not exist. Reading a chart needs a staff role (not the admin role alone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from charting import scoring
from charting.alerts import alert_is_severe
from charting.baselines import (
    course_first_session,
    course_session_numbers,
    scale_outcome,
    scale_points,
)
from charting.gates import check_in_allowed, complete_allowed, start_allowed
from charting.models import (
    Alert,
    Amendment,
    CourseCheckinSetting,
    DailyCheckIn,
    EarlyReview,
    FormTemplate,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    ScaleAdministration,
    ScaleSource,
    ScreeningResponse,
    SelfReport,
    SitePatientSettings,
    TreatmentParameters,
)
from charting.observations import observation_missing, observation_sign_inputs
from charting.rems_due import form_overdue, latest_today, monitoring_forms_due_now, site_today
from charting.self_report_schedule import (
    DuePoint,
    PointStatus,
    SessionPoint,
    StaffEntry,
    point_states,
    points_recorded_in_clinic,
    self_report_points,
)
from charting.trajectory import MoodPoint, ReviewMark, Series, build_series, scale_series
from clinic.errors import DomainError, NotFound
from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, Site
from clinic.permissions import filter_sites, require_role, user_roles, user_site_ids
from scheduling.availability import local_day_bounds
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
    qs = ScreeningResponse.objects.select_related("template", "patient")
    return _one_within_sites(qs, user, screening_id, "screening_not_found", "screening")


def alert_for_reader(*, user: User, alert_id: int) -> Alert:
    qs = alerts_visible(Alert.objects.all(), user)
    return _one_within_sites(qs, user, alert_id, "alert_not_found", "alert")


def monitoring_form_for_reader(*, user: User, item_id: int) -> MonitoringFormItem:
    qs = MonitoringFormItem.objects.select_related("patient", "session", "site")
    return _one_within_sites(qs, user, item_id, "monitoring_form_not_found", "monitoring form")


def chart_site(*, user: User, site_id: int | None) -> Site:
    """A site of the user whose documents they read (404 `site_not_found` for another site);
    `site_id=None`: the user's first site by name."""
    chart_reader_require(user=user)
    sites = filter_sites(Site.objects.order_by("name", "id"), user, field="id")
    site = sites.filter(pk=site_id).first() if site_id is not None else sites.first()
    if site is None:
        raise NotFound(f"No site {site_id}." if site_id else "No site.", code="site_not_found")
    return site


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


def course_scale_get(*, course: Course, scale_id: int) -> ScaleAdministration:
    """One administration of the course; 404 `scale_not_found` otherwise."""
    row = ScaleAdministration.objects.filter(course=course, pk=scale_id).first()
    if row is None:
        raise NotFound(
            f"No scale administration {scale_id} in this course.", code="scale_not_found"
        )
    return row


def course_outcomes(
    *, course: Course
) -> list[tuple[scoring.Outcome, list[ScaleAdministration], Series]]:
    """Per scale used in the course: baseline (charting/scoring.py `baseline_index`),
    trajectory, response and remission, and its chart series (4 queries)."""
    rows = list(
        ScaleAdministration.objects.filter(course=course)
        .select_related("baseline_marked_by", "recorded_by")
        .order_by("administered_at", "id")
    )
    by_scale: dict[str, list[ScaleAdministration]] = {}
    for row in rows:
        by_scale.setdefault(row.scale, []).append(row)
    first = course_first_session(course=course)
    numbers = course_session_numbers(course=course)
    zone = course.site.zone
    out = []
    for name, items in sorted(by_scale.items()):
        result = scale_outcome(name, items, first_session=first, zone=zone, numbers=numbers)
        points = scale_points(items, zone=zone, numbers=numbers)
        out.append((result, items, scale_series(name, points, baseline_at=result.baseline_at)))
    return out


def open_safety_alerts(*, course: Course) -> list[Alert]:
    """The course's unacknowledged PHQ-9 item 9 alerts, oldest first: the staff outcomes page
    shows its safety prompt while any is open, from the moment the answer is saved."""
    return list(
        Alert.objects.filter(
            course=course, kind=Alert.Kind.SAFETY, acknowledged_at__isnull=True
        ).order_by("raised_at", "id")
    )


# --- who reads a patient's answers --------------------------------------------------------------

# Who reads what a patient answered: clinical staff (and admins). A scheduler books and sees
# what is due, never the answers: not a rating scale's items (PHQ-9 item 9 asks about
# self-harm), not the totals built from them, not a self-report or a daily check-in, and not
# the safety and side-effect alerts that quote them.
PATIENT_REPORT_READERS = (ROLE_NURSE, ROLE_CLINICIAN)


def patient_answers_visible(*, user: Any) -> bool:
    """The one rule (issue 16): may `user` read patients' answers and the alerts they raise?

    Every endpoint, page and document that shows scale administrations, self-reports, check-ins
    or answer alerts asks this (directly, through `patient_report_reader_require`, or through
    `alerts_visible`)."""
    return bool(user_roles(user).intersection((ROLE_ADMIN, *PATIENT_REPORT_READERS)))


def patient_report_reader_require(*, user: Any) -> None:
    """403 unless the user may read patients' own answers (nurses and clinicians)."""
    if not patient_answers_visible(user=user):
        require_role(user, *PATIENT_REPORT_READERS, action="read patients' self-reports")


# Alerts raised by what a patient answered: they quote the answer.
ANSWER_ALERTS = (
    Q(kind__in=(Alert.Kind.SAFETY, Alert.Kind.SIDE_EFFECT))
    | Q(scale__isnull=False)
    | Q(self_report__isnull=False)
    | Q(checkin__isnull=False)
)


def alerts_visible(queryset: QuerySet[Alert], user: Any) -> QuerySet[Alert]:
    """`queryset` without the alerts that quote a patient's answers, unless the user may read
    them (`patient_answers_visible`); out-of-range vitals and parameter alerts stay."""
    if patient_answers_visible(user=user):
        return queryset
    return queryset.exclude(ANSWER_ALERTS)


# --- measurement-based care between sessions (CLINICAL.md §6) ---------------------------------


def site_patient_settings(*, site: Site) -> SitePatientSettings:
    """The site's settings, or the unsaved defaults (United States crisis lines) when the site
    has not set its own."""
    row = SitePatientSettings.objects.filter(site=site).first()
    return row if row is not None else SitePatientSettings(site=site)


def checkin_enabled(*, course: Course) -> bool:
    """Daily check-ins: the course's own setting, else the site's default."""
    setting = CourseCheckinSetting.objects.filter(course=course).first()
    if setting is not None:
        return setting.enabled
    return site_patient_settings(site=course.site).daily_checkin_default


def local_today(*, course: Course, now: dt.datetime) -> dt.date:
    return now.astimezone(course.site.zone).date()


def self_report_points_of(*, course: Course) -> list[DuePoint]:
    """The course's self-report points from its booked sessions (1 query)."""
    spec = course.protocol.parsed
    scales = {o.scale for o in spec.outcomes if o.self_report}
    if not scales:
        return []
    zone = course.site.zone
    sessions = [
        SessionPoint(
            number=number,
            local_date=start.astimezone(zone).date(),
            scales_due=tuple(due or ()),
            active=active,
        )
        for number, start, due, active in Session.objects.filter(course=course).values_list(
            "number", "start", "scales_due", "active"
        )
    ]
    booked_on = course.created_at.astimezone(zone).date() if course.created_at else None
    first = min((s.local_date for s in sessions), default=course.start_date)
    return self_report_points(
        sessions=sessions, self_report_scales=scales, booked_on=booked_on or first
    )


def self_report_recorded_in_clinic(
    *, course: Course, points: list[DuePoint]
) -> set[tuple[str, int]]:
    """The course's self-report points already satisfied by the same scale entered by staff
    (charting/self_report_schedule.py `points_recorded_in_clinic`; 1 query)."""
    if not points:
        return set()
    zone = course.site.zone
    entries = [
        StaffEntry(scale=scale, session_number=number, local_date=at.astimezone(zone).date())
        for scale, number, at in ScaleAdministration.objects.filter(
            course=course,
            source=ScaleSource.STAFF,
            scale__in={p.scale for p in points},
        ).values_list("scale", "session__number", "administered_at")
    ]
    return points_recorded_in_clinic(points, entries)


def self_report_due(*, course: Course, now: dt.datetime) -> list[PointStatus]:
    """Each self-report point of the course and its state today (3 queries)."""
    points = self_report_points_of(course=course)
    if not points:
        return []
    rows = SelfReport.objects.filter(course=course).values_list("scale", "session_number", "status")
    submitted = {(s, n) for s, n, status in rows if status == SelfReport.Status.SUBMITTED}
    started = {(s, n) for s, n, status in rows if status == SelfReport.Status.DRAFT}
    return point_states(
        points,
        today=local_today(course=course, now=now),
        submitted=submitted,
        started=started,
        recorded_in_clinic=self_report_recorded_in_clinic(course=course, points=points),
    )


def course_self_reports(*, course: Course) -> list[SelfReport]:
    return list(
        SelfReport.objects.filter(course=course)
        .select_related("administration")
        .order_by("started_at", "id")
    )


def course_checkins(*, course: Course) -> list[DailyCheckIn]:
    return list(DailyCheckIn.objects.filter(course=course).order_by("day"))


def course_scale_rows(*, course: Course) -> list[ScaleAdministration]:
    """Every scale administration of the course in time order, with its session (1 query)."""
    return list(
        ScaleAdministration.objects.filter(course=course)
        .select_related("session", "recorded_by")
        .order_by("administered_at", "id")
    )


def course_early_review(*, course: Course) -> EarlyReview | None:
    return EarlyReview.objects.filter(course=course).select_related("decided_by").first()


def early_review_for_reader(*, user: Any, review_id: int) -> EarlyReview:
    patient_report_reader_require(user=user)
    row = (
        filter_sites(EarlyReview.objects.select_related("decided_by", "course"), user)
        .filter(pk=review_id)
        .first()
    )
    if row is None:
        raise NotFound(f"No early-improvement review {review_id}.", code="review_not_found")
    return row


def early_review_list(*, user: Any, open_only: bool) -> list[EarlyReview]:
    """Early-improvement reviews at the user's sites (those waiting for a decision by
    default), oldest first."""
    patient_report_reader_require(user=user)
    qs = filter_sites(EarlyReview.objects.select_related("decided_by", "patient"), user)
    if open_only:
        qs = qs.filter(status=EarlyReview.Status.OPEN)
    return list(qs.order_by("raised_at", "id")[:ALERT_LIST_LIMIT])


@dataclass(frozen=True)
class Trajectory:
    series: list[Series]
    mood: list[MoodPoint]
    review: ReviewMark | None
    first: dt.date
    last: dt.date


def course_trajectory(*, course: Course) -> Trajectory:
    """Scale series (self-report and clinician-rated apart), daily mood and the
    early-improvement point of one course (4 queries)."""
    zone = course.site.zone
    scale_rows = course_scale_rows(course=course)
    numbers = {r.session.pk: r.session.number for r in scale_rows if r.session is not None}
    points = scale_points(scale_rows, zone=zone, numbers=numbers)
    rows = [(r.scale, p) for r, p in zip(scale_rows, points, strict=True)]
    mood = [
        MoodPoint(day=day, mood=value)
        # A check-in without a mood (an old row) is not a point: 0 would read as a crash.
        for day, value in DailyCheckIn.objects.filter(course=course, mood__isnull=False)
        .order_by("day")
        .values_list("day", "mood")
        if value is not None
    ]
    review = EarlyReview.objects.filter(course=course).select_related("measured").first()
    mark = None
    if review is not None:
        mark = ReviewMark(
            at_session=review.at_session,
            day=review.measured.administered_at.astimezone(zone).date(),
            scale=review.scale,
            total=review.measured_total,
            improvement_percent=(
                None if review.improvement_percent is None else float(review.improvement_percent)
            ),
            needs_review=review.status != EarlyReview.Status.NOT_NEEDED,
        )
    days = [p.day for _, p in rows] + [m.day for m in mood] + [course.start_date]
    series = build_series(rows, first_session=course_first_session(course=course))
    return Trajectory(series, mood, mark, min(days), max(days))


# Pages ---------------------------------------------------------------------------------------


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
