"""The patient page's contact block, "ask to change this appointment" and the driver link at
#driver-link; the staff queue on /patients/ and the board; the API (issue 18 point 4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from clinic.models import Closure
from clinic.submissions import new_key
from scheduling.models import ChangeRequest, Session
from tests.pages.test_page_roles import client_for
from tests.scheduling.feed_support import add_session, esketamine_course, make_feed
from tests.support.factories import make_patient

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC)  # Wednesday, 12:00 in New York


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(site, scheduler, patient):
    site.phone = "+1 555 0100"
    site.save(update_fields=["phone"])
    Closure.objects.create(site=site, date=dt.date(2026, 3, 9), reason="Staff training")
    course = esketamine_course(patient, scheduler)
    upcoming = add_session(course, site, "2026-03-05")
    feed, token = make_feed("patient", site, patient=patient)
    return {"session": upcoming, "token": token, "feed": feed}


def ask(booked, **data):
    url = f"/p/{booked['token']}/sessions/{booked['session'].pk}/change/"
    return Client().post(url, {"reason": "Work", "days": ["Friday", "Monday"], **data})


def test_patient_page_shows_phone_hours_and_coming_closures(booked):
    html = Client().get(f"/p/{booked['token']}/").content.decode()
    assert 'Call us: <a href="tel:+15550100">+1 555 0100</a>' in html
    assert "Open Mon\N{EN DASH}Fri 08:00\N{EN DASH}18:00" in html
    assert "Closed Monday 9 March (Staff training)" in html
    assert html.index("Call us") < html.index("Coming up")


def test_patient_asks_to_change_and_sees_it_nothing_moves(booked):
    session = booked["session"]
    html = Client().get(f"/p/{booked['token']}/").content.decode()
    assert "Ask to change this appointment" in html
    assert f'change/#session-{session.pk}"' in html

    response = ask(booked, preferred="mornings")
    assert response.status_code == 302
    assert response["Location"] == f"/p/{booked['token']}/#session-{session.pk}"
    made = ChangeRequest.objects.get()
    assert (made.reason, made.preferred_days) == ("Work", "Monday, Friday; mornings")
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED and session.start == made.session.start

    page = Client().get(f"/p/{booked['token']}/")
    assert page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    assert "You asked to change this on Wednesday 4 March. The clinic will call you" in html
    assert "Ask to change this appointment" not in html


def test_second_ask_says_already_asked(booked):
    ask(booked)
    again = ask(booked)
    assert again.status_code == 409
    assert "You already asked to change this appointment" in again.content.decode()
    assert ChangeRequest.objects.count() == 1


def test_another_patients_session_or_a_bad_token_is_404(booked, site, scheduler):
    other = make_patient(site, "MRN-002", family="Other")
    theirs = add_session(esketamine_course(other, scheduler), site, "2026-03-06")
    response = Client().post(f"/p/{booked['token']}/sessions/{theirs.pk}/change/", {})
    assert response.status_code == 404
    assert Client().post(f"/p/icf_nope/sessions/{booked['session'].pk}/change/").status_code == 404
    assert not ChangeRequest.objects.exists()


def test_scheduler_sees_the_queue_on_patients_and_board_and_marks_it_handled(booked, scheduler):
    ask(booked)
    made = ChangeRequest.objects.get()
    client = client_for(scheduler)
    for path in ("/patients/", "/?date=2026-03-04"):
        html = client.get(path).content.decode()
        assert 'id="change-requests"' in html, path
        assert "1 open" in html and "Prefers: Monday, Friday" in html
        assert f'href="/sessions/{made.session_id}/"' in html
        assert "Mark handled" in html and "Decline" in html
    response = client.post(
        f"/change-requests/{made.pk}/handle/",
        {
            "outcome": "handled",
            "note": "Moved by phone",
            "form_key": new_key(),
            "next": "/patients/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/patients/#change-requests"
    made.refresh_from_db()
    assert (made.status, made.handled_by, made.staff_note) == (
        "handled",
        scheduler,
        "Moved by phone",
    )
    assert "No open change requests." in client.get("/patients/").content.decode()


def test_nurse_sees_the_queue_without_buttons_and_may_not_handle(booked, nurse):
    ask(booked)
    made = ChangeRequest.objects.get()
    client = client_for(nurse)
    html = client.get("/patients/").content.decode()
    assert "Prefers: Monday, Friday" in html and "Mark handled" not in html
    response = client.post(
        f"/change-requests/{made.pk}/handle/", {"outcome": "handled", "form_key": new_key()}
    )
    assert response.status_code == 403
    assert ChangeRequest.objects.get().status == "open"


def test_api_lists_and_handles(booked, scheduler, nurse, api_as):
    ask(booked)
    made = ChangeRequest.objects.get()
    listed = api_as(nurse).get("change-requests")
    assert listed.status_code == 200
    (row,) = listed.json()
    assert (row["id"], row["patient_mrn"], row["preferred_days"]) == (
        made.pk,
        "MRN-001",
        "Monday, Friday",
    )
    refused = api_as(nurse).post(f"change-requests/{made.pk}/handle", {"outcome": "handled"})
    assert refused.status_code == 403
    done = api_as(scheduler).post(
        f"change-requests/{made.pk}/handle", {"outcome": "declined", "note": "Cannot move"}
    )
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["handled_by"]) == ("declined", "sam")
    again = api_as(scheduler).post(f"change-requests/{made.pk}/handle", {"outcome": "handled"})
    assert (again.status_code, again.json()["code"]) == (409, "change_request_closed")
    assert api_as(scheduler).get("change-requests").json() == []
    assert len(api_as(scheduler).get("change-requests", status="all").json()) == 1
    missing = api_as(scheduler).post("change-requests/999999/handle", {"outcome": "handled"})
    assert (missing.status_code, missing.json()["code"]) == (404, "change_request_not_found")


def test_driver_link_is_shown_at_its_anchor_with_copy_and_share(booked):
    token = booked["token"]
    html = Client().get(f"/p/{token}/").content.decode()
    assert f'action="/p/{token}/companions/#driver-link"' in html
    response = Client().post(f"/p/{token}/companions/", {"label": "Sam"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    assert 'id="driver-link"' in html and 'id="driver-link-copy"' in html
    assert 'id="driver-link-share"' in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert 'src="/static/scheduling/driver_link.js"' in html
    again = Client().get(f"/p/{token}/")
    assert 'id="driver-link-copy"' not in again.content.decode()
    assert "script-src" not in again["Content-Security-Policy"]
