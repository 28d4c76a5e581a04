"""The demo patient for measurement-based care between sessions, made by `seed_demo`: Jordan
Lee on the standard 10 Hz TMS course, reaching session 10 today (or on the last open day), with
a baseline PHQ-9 of 18 from their own phone and a week of daily check-ins. Opening the printed
link on a phone shows the session-10 PHQ-9 due; answering it with a total of 17 or more (less
than 20% better) raises the early-improvement review for the clinician once session 10 is
completed (the review is never evaluated before its session is over), and an item 9 answer
above 0 shows the crisis resources and raises the urgent alert.
"""

from __future__ import annotations

import datetime as dt
import os

from django.contrib.auth.models import User
from django.urls import reverse

from charting.daily_checkin import daily_checkin_save
from charting.patient_settings import course_checkin_set
from charting.self_report import self_report_submit
from clinic.models import Patient
from demo import clinic as demo_clinic
from protocols.models import Protocol
from scheduling.enrolment import course_enrol
from scheduling.feed_tokens import patient_feed_issue
from scheduling.models import Course, Session

DEMO_MRN = demo_clinic.PATIENTS[1].mrn
PROTOCOL = "tms-10hz-standard"
REVIEW_SESSION = 10
BASELINE = {f"item{i}": v for i, v in enumerate((3, 2, 2, 3, 2, 2, 2, 2, 0), start=1)}


def _local_noon(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=zone)


def _start_reaching_session_10(patient: Patient, by: User, today: dt.date) -> dt.date | None:
    """The latest start date whose session 10 falls on or before today (dry runs)."""
    zone = patient.site.zone
    for back in range(REVIEW_SESSION - 1, REVIEW_SESSION + 20):
        start = today - dt.timedelta(days=back)
        plan = course_enrol(
            patient=patient,
            protocol=PROTOCOL,
            site=patient.site,
            start_date=start,
            preferred_time=dt.time(11, 0),
            by=by,
            dry_run=True,
            now=_local_noon(start - dt.timedelta(days=3), zone),
        )
        sessions = sorted(plan.sessions, key=lambda s: s.number)
        tenth = sessions[REVIEW_SESSION - 1].start.astimezone(zone).date()
        if tenth <= today:
            return start
    return None


def demo_self_report_course(*, today: dt.date, base_url: str | None = None) -> str:
    """Create the demo course once (idempotent) and return the lines to print."""
    patient = Patient.objects.filter(site__slug=demo_clinic.SITE_SLUG, mrn=DEMO_MRN).first()
    scheduler = User.objects.filter(username="scheduler").first()
    clinician = User.objects.filter(username="clinician").first()
    if patient is None or scheduler is None or clinician is None:
        return ""
    if not Protocol.objects.filter(slug=PROTOCOL).exists():
        return ""
    zone = patient.site.zone
    course = Course.objects.filter(patient=patient, protocol__slug=PROTOCOL).first()
    if course is None:
        start = _start_reaching_session_10(patient, scheduler, today)
        if start is None:
            return ""
        course = course_enrol(
            patient=patient,
            protocol=PROTOCOL,
            site=patient.site,
            start_date=start,
            preferred_time=dt.time(11, 0),
            by=scheduler,
            prescriber_id=clinician.pk,
            now=_local_noon(start - dt.timedelta(days=3), zone),
        ).course
        # Demo history: sessions before the review point happened (set directly: the demo
        # skips nine screenings and observation records).
        Session.objects.filter(course=course, number__lt=REVIEW_SESSION).update(
            status=Session.Status.COMPLETED
        )
        Course.objects.filter(pk=course.pk).update(status=Course.Status.ACTIVE)
        course.refresh_from_db()
        first = Session.objects.get(course=course, number=1).start
        self_report_submit(
            course=course,
            scale="phq9",
            session_number=1,
            answers=BASELINE,
            now=first - dt.timedelta(hours=2),
        )
        course_checkin_set(course=course, enabled=True, by=clinician)
        for back, mood in zip(range(6, 0, -1), (3, 3, 4, 3, 4, 4), strict=True):
            daily_checkin_save(
                course=course,
                mood=mood,
                sleep_hours=6.5,
                side_effects={"headache": "mild"} if back % 2 else {},
                now=_local_noon(today - dt.timedelta(days=back), zone),
            )
    _, token = patient_feed_issue(patient=patient, by=None)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    base = (base_url or f"http://{host}:{port}").rstrip("/")
    return "\n".join(
        [
            f"Demo self-report patient {patient.given_name} {patient.family_name} (TMS, session "
            f"{REVIEW_SESSION}): open on a phone {base}{reverse('patient-reports', args=[token])}",
            f"  clinician view: {base}{reverse('course-outcomes', args=[course.pk])} "
            "(log in as clinician)",
        ]
    )
