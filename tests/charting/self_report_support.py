"""A TMS course booked through the real enrolment (so sessions carry the engine's scales_due),
a patient link token, and helpers to bring the course to session N."""

from __future__ import annotations

import datetime as dt

from charting.models import ScaleAdministration
from clinic.models import Patient
from clinic.tokens import hash_token, new_token
from scheduling.enrolment import course_enrol
from scheduling.models import CalendarFeed, Course, Session
from tests.support.clock import local
from tests.support.factories import builtin_protocol

# Monday 9 March 2026: session 1. With 5 a week, session 10 is Friday 20 March.
START = dt.date(2026, 3, 9)
PHQ9_ITEMS = [f"item{i}" for i in range(1, 10)]


def tms_course(
    patient: Patient, scheduler, start: dt.date = START, now: dt.datetime | None = None
) -> Course:
    """Booked on Friday 6 March 2026 (or at `now`), sessions from `start`."""
    builtin_protocol("tms")
    course = course_enrol(
        patient=patient,
        protocol="tms-10hz-standard",
        site=patient.site,
        start_date=start,
        preferred_time=dt.time(9, 0),
        by=scheduler,
        now=now or local(patient.site, "2026-03-06", "12:00"),
    ).course
    Course.objects.filter(pk=course.pk).update(status=Course.Status.ACTIVE)
    course.refresh_from_db()
    return course


def patient_token(patient: Patient, kind: str = "patient") -> str:
    token = new_token("icf")
    CalendarFeed.objects.create(
        kind=kind,
        site=patient.site,
        patient=patient,
        prefix=token[:8],
        token_hash=hash_token(token),
    )
    return token


def session(course: Course, number: int) -> Session:
    return Session.objects.get(course=course, number=number)


def day_of(course: Course, number: int, hhmm: str = "18:00") -> dt.datetime:
    """`hhmm` local on the day of session `number`."""
    start = session(course, number).start.astimezone(course.site.zone)
    return local(course.site, start.date().isoformat(), hhmm)


def phq9(total: int, item9: int = 0) -> dict[str, int]:
    """PHQ-9 answers adding up to `total` with item 9 as given."""
    answers = {key: 0 for key in PHQ9_ITEMS}
    answers["item9"] = item9
    left = total - item9
    for key in PHQ9_ITEMS[:8]:
        step = min(3, left)
        answers[key] = step
        left -= step
    assert left == 0, "total too high"
    return answers


def staff_phq9(course: Course, number: int, total: int, by) -> ScaleAdministration:
    from charting.outcomes import scale_record

    return scale_record(
        course=course,
        scale="phq9",
        items=phq9(total),
        administered_at=session(course, number).start,
        session=session(course, number),
        by=by,
        now=session(course, number).end,
    )


def complete(course: Course, number: int, by=None) -> Session:
    """Mark session `number` completed and run the lifecycle's after-completion hooks, as
    scheduling/session_lifecycle.py `session_complete` does (its gates are tested there)."""
    from scheduling.lifecycle_gates import registered_session_gates

    row = session(course, number)
    row.status = Session.Status.COMPLETED
    row.completed_at = row.end
    row.save()
    for gates in registered_session_gates():
        gates.after_complete(row, by=by, now=row.end)
    return row


def staff_phq9_untied(course: Course, when: dt.datetime, total: int, by) -> ScaleAdministration:
    """A staff PHQ-9 not tied to a session, administered at `when`."""
    from charting.outcomes import scale_record

    return scale_record(
        course=course, scale="phq9", items=phq9(total), administered_at=when, by=by, now=when
    )
