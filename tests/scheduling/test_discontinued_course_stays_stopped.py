"""A discontinued course stays discontinued: finishing or cancelling the one session that was
already under way neither books a make-up session nor marks the course completed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from scheduling.booking_change import BookingChange
from scheduling.courses import course_discontinue
from scheduling.enrolment import course_enrol
from scheduling.models import Course, Session
from scheduling.session_cancellation import session_cancel
from scheduling.session_lifecycle import session_check_in, session_complete, session_start
from tests.scheduling.booking_support import MONDAY, NINE, NOW, NY, TMS_10, one_chair
from tests.support.clock import local
from tests.support.factories import make_patient, make_protocol


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(NY, MONDAY, "08:50"), tick=False):
        yield


@pytest.fixture
def stopped(site, scheduler, nurse, patient):
    """A TMS course discontinued while its first session was checked in."""
    make_protocol(TMS_10, "tms")
    course = course_enrol(
        patient=patient.pk,
        protocol="tms",
        site=patient.site_id,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).course
    first = Session.objects.get(course=course, number=1)
    session_check_in(session_id=first.pk, by=nurse)
    course_discontinue(course_id=course.pk, reason="patient moved away", by=scheduler)
    return course, first


def test_cancelling_the_last_session_of_a_discontinued_course_books_no_make_up(stopped, scheduler):
    course, first = stopped

    change = session_cancel(session_id=first.pk, reason="left early", by=scheduler)

    assert change.moved == []
    assert any("discontinued" in note for note in change.notes)
    assert Session.objects.filter(course=course).count() == 10
    assert not Session.objects.filter(course=course, active=True).exists()
    course.refresh_from_db()
    assert course.status == Course.Status.DISCONTINUED


def test_completing_the_last_session_of_a_discontinued_course_keeps_it_discontinued(stopped, nurse):
    course, first = stopped
    session_start(session_id=first.pk, by=nurse)

    session_complete(session_id=first.pk, by=nurse)

    course.refresh_from_db()
    assert course.status == Course.Status.DISCONTINUED
    assert Session.objects.get(pk=first.pk).status == Session.Status.COMPLETED


@pytest.mark.postgres
def test_a_make_up_whose_slot_was_just_taken_is_a_note_not_a_500(
    site, scheduler, patient, monkeypatch
):
    """The make-up is placed from a picture read a moment earlier; when another booking took
    that chair in between, the database refuses the hold. The cancellation still stands."""
    one_chair(site)
    make_protocol(TMS_10, "tms")
    enrol = dict(protocol="tms", site=site.pk, preferred_time=NINE, by=scheduler, now=NOW)
    mine = course_enrol(patient=patient.pk, start_date=MONDAY, **enrol).course
    other = make_patient(site, "MRN-OTHER")
    # The other patient holds the only chair at 09:00 on the Monday the make-up would take.
    course_enrol(patient=other.pk, start_date=dt.date(2026, 3, 16), **enrol)
    real = BookingChange.load

    def stale(**kwargs):
        loaded = real(**kwargs)
        loaded.placer.resource_busy.clear()  # as if read before the other booking committed
        return loaded

    monkeypatch.setattr(BookingChange, "load", staticmethod(stale))
    first = Session.objects.get(course=mine, number=1)

    change = session_cancel(session_id=first.pk, reason="unwell", by=scheduler)

    assert change.moved == []
    assert any("just taken" in note for note in change.notes)
    assert Session.objects.get(pk=first.pk).status == Session.Status.CANCELLED
    assert Session.objects.filter(course=mine).count() == 10
