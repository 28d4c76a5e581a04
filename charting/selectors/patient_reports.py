"""Read-side queries for what patients report and who may read it: the one answers-visibility
rule, rating scales and their outcomes, self-report due points, daily check-ins, the
early-improvement review and the between-sessions trajectory (CLINICAL.md §6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from charting import scoring
from charting.baselines import (
    course_first_session,
    course_session_numbers,
    scale_outcome,
    scale_points,
)
from charting.error_codes import ERR_REVIEW_NOT_FOUND, ERR_SCALE_NOT_FOUND
from charting.models import (
    Alert,
    CourseCheckinSetting,
    DailyCheckIn,
    EarlyReview,
    ScaleAdministration,
    ScaleSource,
    SelfReport,
    SitePatientSettings,
)
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
from clinic.errors import NotFound
from clinic.models import Site
from clinic.permissions import CLINICAL_READERS, clinical_reader, require_role
from clinic.selectors import one_within_sites
from scheduling.models import Course, Session

# --- who reads a patient's answers ------------------------------------------------------------

# Who reads what a patient answered: clinical staff (and admins). A scheduler books and sees
# what is due, never the answers: not a rating scale's items (PHQ-9 item 9 asks about
# self-harm), not the totals built from them, not a self-report or a daily check-in, and not
# the safety and side-effect alerts that quote them.
# The same role set as the clinical documents: clinic.permissions.CLINICAL_READERS.
PATIENT_REPORT_READERS = CLINICAL_READERS


def patient_answers_visible(*, user: Any) -> bool:
    """The one rule (issue 16): may `user` read patients' answers and the alerts they raise?

    Every endpoint, page and document that shows scale administrations, self-reports, check-ins
    or answer alerts asks this (directly, through `patient_report_reader_require`, or through
    `alerts_visible`)."""
    return clinical_reader(user)


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


# --- rating scales and their outcomes ---------------------------------------------------------


def course_scale_get(*, course: Course, scale_id: int) -> ScaleAdministration:
    """One administration of the course; 404 `scale_not_found` otherwise."""
    row = ScaleAdministration.objects.filter(course=course, pk=scale_id).first()
    if row is None:
        raise NotFound(
            f"No scale administration {scale_id} in this course.", code=ERR_SCALE_NOT_FOUND
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


def course_scale_rows(*, course: Course) -> list[ScaleAdministration]:
    """Every scale administration of the course in time order, with its session (1 query)."""
    return list(
        ScaleAdministration.objects.filter(course=course)
        .select_related("session", "recorded_by")
        .order_by("administered_at", "id")
    )


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


def course_early_review(*, course: Course) -> EarlyReview | None:
    return EarlyReview.objects.filter(course=course).select_related("decided_by").first()


def early_review_for_reader(*, user: Any, review_id: int) -> EarlyReview:
    patient_report_reader_require(user=user)
    return one_within_sites(
        EarlyReview.objects.select_related("decided_by", "course"),
        user=user,
        pk=review_id,
        code=ERR_REVIEW_NOT_FOUND,
        what="early-improvement review",
    )


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
