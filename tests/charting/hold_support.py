"""Esketamine sessions booked on real monitoring chairs, for the tests of the observation hold
following the dose (issue 15, point 3).

Riverside (conftest `site`) has two monitoring chairs, Spravato 1 and Spravato 2. The library
protocol books 30 minutes of procedure and 120 of observation on one chair: a 09:00 session
holds Spravato 1 09:00-11:30 on Monday 9 March 2026.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from charting.models import ObservationRecord
from charting.screening import session_screening_submit
from clinic.models import Patient, Site
from scheduling.enrolment import course_enrol
from scheduling.models import ResourceHold, Session
from scheduling.session_lifecycle import session_check_in, session_start
from tests.charting.helpers import safe_answers
from tests.support.clock import local
from tests.support.factories import builtin_protocol

DAY = "2026-03-09"
BOOKED_AT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # the Monday before


def book_one(site: Site, patient: Patient, by: User, hhmm: str) -> Session:
    """The first session of a library esketamine course on DAY at `hhmm`."""
    site.rems_certified = True
    site.save()
    protocol = builtin_protocol("esketamine")
    hour, minute = (int(x) for x in hhmm.split(":"))
    course = course_enrol(
        patient=patient,
        protocol=protocol,
        site=site,
        start_date=dt.date.fromisoformat(DAY),
        preferred_time=dt.time(hour, minute),
        by=by,
        now=BOOKED_AT,
    ).course
    first = Session.objects.get(course_id=course.pk, number=1)
    assert first.start == local(site, DAY, hhmm)
    return first


def start_session(session: Session, nurse: User, at: dt.datetime) -> ObservationRecord:
    """Check in, screen and start at `at`; returns the opened observation record."""
    session_check_in(session_id=session.pk, by=nurse, now=at - dt.timedelta(minutes=10))
    session_screening_submit(
        session=session,
        answers=safe_answers("esketamine-pre-dose"),
        by=nurse,
        now=at - dt.timedelta(minutes=5),
    )
    session_start(session_id=session.pk, by=nurse, now=at)
    return ObservationRecord.objects.get(session_id=session.pk)


def chair_hold(session: Session) -> ResourceHold:
    return ResourceHold.objects.select_related("resource").get(
        session_id=session.pk, part="observation", active=True
    )
