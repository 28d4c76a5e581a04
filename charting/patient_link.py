"""The patient's link token as the authority for their own reports.

The token is the patient's calendar-feed token (scheduling: `CalendarFeed`, stored hashed,
revocable, rotated by staff or the patient), the same one that opens `/p/<token>/`. Only a
token of kind "patient" counts: a companion's (driver's) token reaches the same patient's
appointment times but never their questionnaires, answers or mood. Anything else, unknown,
revoked or malformed, is the same 404 as a course that is not theirs, so a guess learns
nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from charting import scoring
from charting.models import DailyCheckIn, SelfReport, SitePatientSettings
from charting.selectors.patient_reports import (
    checkin_enabled,
    course_scale_rows,
    local_today,
    self_report_due,
)
from clinic.clock import resolve_now
from clinic.errors import NotFound
from clinic.models import Patient
from scheduling.error_codes import ERR_COURSE_NOT_FOUND
from scheduling.feed_selectors import feed_by_token
from scheduling.models import CalendarFeed, Course

# Courses a patient still reports on: a course booked or under way, and one that ended
# (completed or discontinued) for their own history and download.
REPORTING = (Course.Status.PLANNED, Course.Status.ACTIVE)


@dataclass(frozen=True)
class PatientLink:
    feed: CalendarFeed
    patient: Patient


def patient_link_resolve(token: str | None) -> PatientLink | None:
    """The patient whose own link `token` is, or None."""
    if not token:
        return None
    feed = feed_by_token(token)
    if feed is None or feed.kind != CalendarFeed.Kind.PATIENT or feed.patient is None:
        return None
    return PatientLink(feed=feed, patient=feed.patient)


def patient_courses(*, patient: Patient) -> list[Course]:
    """The patient's courses, the newest first, with what the pages read."""
    return list(
        Course.objects.filter(patient=patient)
        .select_related("protocol", "site")
        .order_by("-start_date", "-id")
    )


def patient_course(*, patient: Patient, course_id: int) -> Course:
    """One of the patient's own courses; 404 `course_not_found` for anyone else's."""
    course = (
        Course.objects.filter(pk=course_id, patient=patient)
        .select_related("protocol", "site")
        .first()
    )
    if course is None:
        raise NotFound(f"No course {course_id}.", code=ERR_COURSE_NOT_FOUND)
    return course


def current_course(*, patient: Patient) -> Course | None:
    """The course the patient's page reports on: the newest booked or active one, else the
    newest."""
    courses = patient_courses(patient=patient)
    for course in courses:
        if course.status in REPORTING:
            return course
    return courses[0] if courses else None


def patient_course_overview(*, course: Course, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the patient's page and API show for one course: each questionnaire point with the
    full item text (PHQ-9 and GAD-7 only: free to embed [Pfizer 2010]) and any draft answers,
    whether check-ins are on, the protocol's side-effect list, and today's check-in."""
    now = resolve_now(now)
    drafts = {
        (r.scale, r.session_number): r.answers
        for r in SelfReport.objects.filter(course=course).only("scale", "session_number", "answers")
    }
    questionnaires = []
    for status in self_report_due(course=course, now=now):
        point = status.point
        definition = scoring.get_scale(point.scale)
        questionnaires.append(
            {
                "scale": point.scale,
                "title": definition.title,
                "instructions": definition.instructions,
                "answer_labels": list(definition.answer_labels),
                "items": [{"key": i.key, "text": i.text, "max": i.max} for i in definition.items],
                "session_number": point.session_number,
                "state": status.state.value,
                "opens_on": point.opens_on,
                "closes_on": point.closes_on,
                "answers": dict(drafts.get((point.scale, point.session_number), {})),
            }
        )
    today = local_today(course=course, now=now)
    checkin = DailyCheckIn.objects.filter(course=course, day=today).first()
    effects = course.protocol.parsed.checkin_side_effects
    return {
        "course_id": course.pk,
        "status": course.status,
        "questionnaires": questionnaires,
        "checkin_enabled": checkin_enabled(course=course),
        "checkin_side_effects": [{"key": e.key, "text": e.label, "max": 0} for e in effects],
        "today_checkin": None if checkin is None else _checkin_dict(checkin),
    }


def _checkin_dict(c: DailyCheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "course_id": c.course_id,
        "day": c.day,
        "mood": c.mood,
        "sleep_hours": float(c.sleep_hours),
        "side_effects": dict(c.side_effects),
        "note": c.note,
        "submitted_at": c.submitted_at,
        "updated_at": c.updated_at,
    }


CSV_HEADER = (
    "kind",
    "date",
    "questionnaire",
    "total",
    "band",
    "answers",
    "mood",
    "hours_slept",
    "side_effects",
    "note",
)


def patient_csv_text(*, course: Course) -> str:
    """The patient's own data for one course as CSV: their questionnaires (submitted ones:
    answers, total, band; including those entered for them in clinic, since they are their
    scores) and their check-ins. No clinician notes, no other patient."""
    zone = course.site.zone
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in course_scale_rows(course=course):
        if scoring.get_scale(row.scale).rater != "self":
            continue
        answers = " ".join(f"{k}={v}" for k, v in row.items.items())
        writer.writerow(
            (
                "questionnaire" if row.source == "patient" else "questionnaire (in clinic)",
                row.administered_at.astimezone(zone).date().isoformat(),
                row.scale.upper().replace("PHQ9", "PHQ-9").replace("GAD7", "GAD-7"),
                row.total,
                row.band,
                answers,
                "",
                "",
                "",
                "",
            )
        )
    for c in DailyCheckIn.objects.filter(course=course).order_by("day"):
        writer.writerow(
            (
                "daily check-in",
                c.day.isoformat(),
                "",
                "",
                "",
                "",
                c.mood,
                c.sleep_hours,
                " ".join(f"{k}={v}" for k, v in sorted(c.side_effects.items())),
                _csv_safe(c.note),
            )
        )
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def crisis_out(settings: SitePatientSettings) -> dict[str, Any]:
    """The site's crisis resources (one per line) and callback promise, as shown to a patient."""
    return {
        "resources": [
            line.strip() for line in settings.crisis_resources.splitlines() if line.strip()
        ],
        "callback_promise": settings.callback_promise,
    }
