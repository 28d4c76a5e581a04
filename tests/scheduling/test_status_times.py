"""Statuses only at sane times (issue 15, point 2): a no-show only after the session's local
start plus the site's grace minutes; a clinician's check-in override only on the session's own
local day; once the observation record is signed, completing is one action."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from scheduling.enrolment import course_enrol
from scheduling.models import Session
from tests.scheduling.booking_support import MONDAY, NINE, NOW, NY, TMS_10, book
from tests.support.clock import local
from tests.support.factories import make_protocol


def session_number(course, number: int) -> Session:
    return Session.objects.get(course=course, number=number)


def test_a_session_14_days_ahead_cannot_be_marked_no_show_and_gets_no_make_up(
    site, scheduler, patient, api_as
):
    course = book(patient, scheduler)
    later = session_number(course, 10)  # Friday 13 March 2026, 09:00
    with time_machine.travel(later.start - dt.timedelta(days=14), tick=False):
        response = api_as(scheduler).post(f"sessions/{later.pk}/no_show", {})
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "no_show_too_early"
    assert "09:15" in body["message"]  # 09:00 plus the site's 15 grace minutes
    later.refresh_from_db()
    assert later.status == Session.Status.SCHEDULED
    assert Session.objects.filter(course=course).count() == 10  # no make-up appended


@pytest.mark.parametrize(("minutes", "allowed"), [(0, False), (14, False), (15, True)])
def test_a_no_show_opens_at_the_local_start_plus_the_sites_grace(
    site, scheduler, patient, api_as, minutes, allowed
):
    site.no_show_grace_minutes = 15
    site.save()
    course = book(patient, scheduler)
    first = session_number(course, 1)
    assert first.start == local(NY, MONDAY, "09:00")
    with time_machine.travel(first.start + dt.timedelta(minutes=minutes), tick=False):
        response = api_as(scheduler).post(f"sessions/{first.pk}/no_show", {})
    assert (response.status_code == 200) is allowed, response.json()
    if not allowed:
        assert response.json()["code"] == "no_show_too_early"


def test_the_session_page_refuses_an_early_no_show_and_hides_the_button(
    site, scheduler, patient, client
):
    course = book(patient, scheduler)
    later = session_number(course, 10)
    client.force_login(scheduler)
    with time_machine.travel(later.start - dt.timedelta(days=14), tick=False):
        page = client.get(f"/sessions/{later.pk}/")
        assert page.status_code == 200
        assert b'action="/sessions/%d/change/no_show/"' % later.pk not in page.content
        assert b"No-show from Fri 13 Mar, 09:15" in page.content
        posted = client.post(f"/sessions/{later.pk}/change/no_show/", {"reason": ""})
    assert posted.status_code == 409
    later.refresh_from_db()
    assert later.status == Session.Status.SCHEDULED


def test_a_clinicians_override_on_another_day_is_refused_as_not_session_day(
    site, clinician, patient, api_as
):
    make_protocol({**TMS_10, "forms": {}}, "tms-noforms")
    course = course_enrol(
        patient=patient.pk,
        protocol="tms-noforms",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=clinician,
        now=NOW,
    ).course
    later = session_number(course, 10)  # Friday 13 March
    with time_machine.travel(local(NY, MONDAY, "09:00"), tick=False):
        response = api_as(clinician).post(
            f"sessions/{later.pk}/check_in", {"override_reason": "patient is here"}
        )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "not_session_day"
    assert "reschedule" in body["message"].lower()
    later.refresh_from_db()
    assert later.status == Session.Status.SCHEDULED
    assert later.checked_in_at is None


def test_a_clinicians_override_on_the_sessions_own_day_still_checks_in(
    site, clinician, patient, api_as
):
    make_protocol({**TMS_10, "forms": {}}, "tms-noforms")
    course = course_enrol(
        patient=patient.pk,
        protocol="tms-noforms",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=clinician,
        now=NOW,
    ).course
    first = session_number(course, 1)
    with time_machine.travel(local(NY, MONDAY, "06:30"), tick=False):  # before the window opens
        response = api_as(clinician).post(
            f"sessions/{first.pk}/check_in", {"override_reason": "early transport"}
        )
    assert response.status_code == 200, response.json()
