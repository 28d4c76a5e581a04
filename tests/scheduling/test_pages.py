"""The staff web pages: the day board at /, course detail, and the session buttons."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import Resource
from scheduling.models import Session
from tests.support.clock import local
from tests.support.factories import (
    ESKETAMINE_SPEC,
    TMS_SPEC,
    bulk_sessions,
    make_course,
    make_patient,
    make_protocol,
    make_session,
    make_user,
)

SCREENED_TMS = {**TMS_SPEC, "forms": {"course_screening": "tms-safety-screen"}}


def logged_in(user, *, strict: bool = False) -> Client:
    client = Client(enforce_csrf_checks=strict)
    client.force_login(user)
    return client


def chair(site, name="TMS 1"):
    return Resource.objects.get(site=site, name=name)


def today(site) -> dt.date:
    return timezone.now().astimezone(site.zone).date()


def text(response) -> str:
    """The page's text with tags dropped and whitespace squeezed, to assert on what is shown."""
    tagless = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(tagless))


@pytest.fixture
def todays_session(site, scheduler, patient):
    course = make_course(patient=patient, booked_by=scheduler)
    start = local(site, today(site).isoformat(), "10:00")
    return make_session(course=course, start=start, resources=[chair(site)], number=4)


def test_anonymous_users_are_sent_to_the_login_page(db, client):
    for path in ["/", "/courses/1/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"


def test_board_defaults_to_today_at_the_first_site(site, nurse, todays_session):
    response = logged_in(nurse).get("/")

    assert response.status_code == 200
    page = text(response)
    assert site.name in page and "(today)" in page
    assert "Pat Example" in page and "MRN-001" in page
    assert "Test tms protocol" in page and "acute · session 4" in page
    assert "10:00" in page and "10:40" in page  # local wall-clock time, not UTC
    assert "TMS 1" in page and "Scheduled" in page
    assert f'action="/sessions/{todays_session.pk}/check_in/"' in response.content.decode()


def test_board_shows_local_times_on_a_dst_day(site, scheduler, patient):
    course = make_course(patient=patient, booked_by=scheduler)
    # 2026-03-08: New York springs forward at 02:00; 23:20 local is 03:20 UTC the next day.
    make_session(course=course, start=local(site, "2026-03-08", "23:20"), resources=[chair(site)])
    make_session(course=course, start=local(site, "2026-03-09", "00:30"), resources=[chair(site)])

    response = logged_in(scheduler).get("/", {"site": site.pk, "date": "2026-03-08"})

    page = text(response)
    assert "Sunday 8 March 2026" in page
    assert "23:20" in page and "00:30" not in page
    assert f"?site={site.pk}&amp;date=2026-03-07" in response.content.decode()
    assert f"?site={site.pk}&amp;date=2026-03-09" in response.content.decode()


def test_board_loads_in_a_constant_number_of_queries(
    site, nurse, scheduler, django_assert_max_num_queries
):
    tms1, tms2 = chair(site, "TMS 1"), chair(site, "TMS 2")
    day = "2026-03-10"
    slots = [
        (resource, local(site, day, "08:00") + dt.timedelta(minutes=45 * i), 40)
        for resource in (tms1, tms2)
        for i in range(13)
    ]
    bulk_sessions(site=site, booked_by=scheduler, slots=slots, patients=5)
    client = logged_in(nurse)

    # 12: the board's reads, the at-risk flags panel, the navigation's open-alert count and the
    # patients' change requests panel (one query for any number of requests).
    with django_assert_max_num_queries(12):
        response = client.get("/", {"site": site.pk, "date": day})

    assert response.status_code == 200
    assert response.content.decode().count('action="/sessions/') == 26


def test_board_offers_a_site_picker_and_hides_other_sites(site, other_site, nurse, outsider):
    site.staff.add(outsider)  # Olga now works at both sites
    page = logged_in(outsider).get("/", {"site": other_site.pk}).content.decode()
    assert 'id="pick-site"' in page
    assert f'<option value="{site.pk}"' in page and f'<option value="{other_site.pk}"' in page

    nurse_client = logged_in(nurse)
    assert 'id="pick-site"' not in nurse_client.get("/").content.decode()
    assert nurse_client.get("/", {"site": other_site.pk}).status_code == 404
    assert nurse_client.get("/", {"date": "tomorrow"}).status_code == 400


def test_users_without_a_role_or_a_site(site, db):
    no_role = make_user("nobody", None, site)
    assert logged_in(no_role).get("/").status_code == 403
    homeless = make_user("newcomer", "nurse", None)
    response = logged_in(homeless).get("/")
    assert response.status_code == 200
    assert "does not belong to any site" in text(response)


def test_a_nurse_checks_a_patient_in_from_the_board(site, nurse, todays_session, time_machine):
    # Within the check-in window: 20 minutes before the session.
    time_machine.move_to(todays_session.start - dt.timedelta(minutes=20), tick=False)
    client = logged_in(nurse, strict=True)
    board = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', board.content.decode())
    assert token is not None

    response = client.post(
        f"/sessions/{todays_session.pk}/check_in/",
        {"csrfmiddlewaretoken": token.group(1), "next": f"/?site={site.pk}"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/?site={site.pk}", 302)]
    todays_session.refresh_from_db()
    assert todays_session.status == Session.Status.CHECKED_IN
    page = text(response)
    assert "Pat Example: session 4 checked in." in page
    assert "Checked in" in page
    assert f"/sessions/{todays_session.pk}/start/" in response.content.decode()


def test_actions_need_post_and_a_csrf_token(site, nurse, todays_session):
    client = logged_in(nurse, strict=True)
    url = f"/sessions/{todays_session.pk}/check_in/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert client.post(f"/sessions/{todays_session.pk}/explode/").status_code == 403  # CSRF first
    assert logged_in(nurse).post(f"/sessions/{todays_session.pk}/explode/").status_code == 404
    todays_session.refresh_from_db()
    assert todays_session.status == Session.Status.SCHEDULED


def test_a_refused_check_in_shows_the_services_reason(
    site, nurse, scheduler, patient, time_machine
):
    course = make_course(
        patient=patient, booked_by=scheduler, protocol=make_protocol(SCREENED_TMS, "screened")
    )
    session = make_session(
        course=course, start=local(site, today(site).isoformat(), "09:00"), resources=[chair(site)]
    )
    time_machine.move_to(session.start - dt.timedelta(minutes=20), tick=False)

    response = logged_in(nurse).post(f"/sessions/{session.pk}/check_in/", follow=True)

    page = text(response)
    assert (
        "Not checked in: The course screening (tms-safety-screen) must be completed before the "
        "first session can be checked in." in page
    )
    assert 'role="alert"' in response.content.decode()
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


def test_roles_are_those_of_the_api(site, scheduler, nurse, todays_session):
    todays_session.status = Session.Status.CHECKED_IN
    todays_session.save()
    url = f"/sessions/{todays_session.pk}/start/"

    # A scheduler checks patients in but does not start treatment: no button, and no way round.
    assert url not in logged_in(scheduler).get("/").content.decode()
    response = logged_in(scheduler).post(url, follow=True)
    assert "Not started: Only a nurse or clinician may start a session." in text(response)
    todays_session.refresh_from_db()
    assert todays_session.status == Session.Status.CHECKED_IN

    assert url in logged_in(nurse).get("/").content.decode()
    logged_in(nurse).post(url)
    todays_session.refresh_from_db()
    assert todays_session.status == Session.Status.IN_PROGRESS


def test_observe_then_complete_for_a_session_with_observation(site, nurse, scheduler):
    patient = make_patient(site, given="Maria", family="Lopez")
    course = make_course(
        patient=patient, booked_by=scheduler, protocol=make_protocol(ESKETAMINE_SPEC)
    )
    spravato = chair(site, "Spravato 1")
    session = make_session(
        course=course,
        start=local(site, today(site).isoformat(), "09:00"),
        minutes=30,
        observation_minutes=120,
        resources=[spravato],
        observation_resources=[spravato],
        status=Session.Status.IN_PROGRESS,
    )
    client = logged_in(nurse)

    page = client.get("/").content.decode()
    assert f"/sessions/{session.pk}/observe/" in page
    assert "observed to 11:30" in text(client.get("/"))
    client.post(f"/sessions/{session.pk}/observe/")
    session.refresh_from_db()
    assert session.status == Session.Status.OBSERVING
    assert f"/sessions/{session.pk}/complete/" in client.get("/").content.decode()


def test_other_sites_sessions_and_courses_are_404(site, outsider, todays_session):
    client = logged_in(outsider)
    assert client.get(f"/courses/{todays_session.course_id}/").status_code == 404
    assert client.post(f"/sessions/{todays_session.pk}/check_in/").status_code == 404
    todays_session.refresh_from_db()
    assert todays_session.status == Session.Status.SCHEDULED


def test_course_page_lists_every_session_with_status_and_local_times(
    site, clinician, scheduler, patient, django_assert_max_num_queries
):
    course = make_course(patient=patient, booked_by=scheduler, prescriber=clinician)
    tms1 = chair(site)
    make_session(course=course, start=local(site, "2026-03-06", "09:00"), resources=[tms1])
    make_session(
        course=course,
        start=local(site, "2026-03-09", "09:00"),  # after the DST change: still 09:00 local
        resources=[tms1],
        status=Session.Status.COMPLETED,
    )
    make_session(
        course=course,
        start=local(site, "2026-03-10", "09:00"),
        resources=[tms1],
        status=Session.Status.CANCELLED,
    )
    client = logged_in(clinician)

    # 8 for the page, 1 for the open-alert count in the navigation (issue 15), 3 for the
    # course changes (issue 18): the site's clinicians to choose a prescriber from, and the
    # prescriber history (2). Constant: none of them is per session.
    with django_assert_max_num_queries(12):
        response = client.get(f"/courses/{course.pk}/")

    assert response.status_code == 200
    page = text(response)
    assert (
        "Pat Example" in page and "MRN-001" in page and "Test tms protocol version 1 · TMS" in page
    )
    assert "1 of 2 sessions completed" in page
    assert page.count("09:00\u201309:40") == 3  # en dash
    assert "Scheduled" in page and "Completed" in page and "Cancelled" in page
    assert "Fri 6 Mar 2026" in page and "Mon 9 Mar 2026" in page
    assert logged_in(clinician).get("/courses/999999/").status_code == 404
