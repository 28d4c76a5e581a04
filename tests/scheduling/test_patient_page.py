"""The patient's page /p/<token>/: what it shows, its privacy, companion feeds, reminder."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.admin.sites import site as admin_site
from django.test import Client

from scheduling.admin import CalendarFeedAdmin, revoke_feeds, rotate_feeds
from scheduling.models import CalendarFeed, Session
from tests.scheduling.feed_support import add_session, esketamine_course, events, make_feed
from tests.support.factories import make_patient

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def booked(site, scheduler, patient):
    with time_machine.travel(NOW, tick=False):
        course = esketamine_course(patient, scheduler)
        past = add_session(course, site, "2026-03-02", status=Session.Status.COMPLETED)
        missed = add_session(course, site, "2026-03-03", status=Session.Status.NO_SHOW)
        upcoming = add_session(course, site, "2026-03-05")
        _, token = make_feed("patient", site, patient=patient)
        yield {"past": past, "missed": missed, "upcoming": upcoming, "token": token}


def page(token: str, client: Client | None = None):
    return (client or Client()).get(f"/p/{token}/")


def test_page_lists_upcoming_with_arrive_by_and_past_outcomes(booked):
    response = page(booked["token"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thursday 5 March 2026, 09:00" in html
    assert "Please arrive by <strong>08:45</strong>" in html
    assert "A ride home: you must not drive until the next day." in html
    assert "Attended" in html and "Missed" in html


def test_page_is_private_noindex_and_makes_no_third_party_request(booked):
    response = page(booked["token"])
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Cache-Control"] == "private, no-store"
    # same-origin, not no-referrer: the forms' POSTs must carry a real Origin for CSRF
    # (tests/browser/test_patient_link.py); nothing third-party is ever requested.
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in html
    assert "default-src 'none'" in response["Content-Security-Policy"]
    # Nothing is loaded from anywhere: no src/href to another origin, no stylesheet link.
    assert not re.search(r'\ssrc="', html)
    assert "<link" not in html
    assert not re.search(r'href="https?://(?!testserver)', html)


def test_page_shows_no_clinical_name_or_full_name(booked):
    html = page(booked["token"]).content.decode().lower()
    for word in ("esketamine", "spravato", "trd", "depress", "example, pat", "mrn-001"):
        assert word not in html


def test_page_has_subscribe_links_qr_and_instructions(booked):
    token = booked["token"]
    html = page(token).content.decode()
    assert f'href="webcal://testserver/calendar/{token}.ics"' in html
    assert f"http://testserver/calendar/{token}.ics" in html
    assert "<svg" in html and "QR code" in html
    for name in ("Google Calendar", "Apple Calendar", "Outlook"):
        assert name in html


def test_single_session_download_is_that_session_only(booked, site, scheduler):
    token = booked["token"]
    response = Client().get(f"/p/{token}/sessions/{booked['upcoming'].pk}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    seen = events(response.content)
    assert list(seen) == [f"session-{booked['upcoming'].pk}@interventional-clinic.invalid"]
    stranger = esketamine_course(make_patient(site, given="Other", family="Person"), scheduler)
    theirs = add_session(stranger, site, "2026-03-06")
    assert Client().get(f"/p/{token}/sessions/{theirs.pk}.ics").status_code == 404


def test_companion_link_is_shown_once_works_and_can_be_revoked(booked):
    token = booked["token"]
    client = Client(enforce_csrf_checks=True)
    first = page(token, client)
    csrf = client.cookies["csrftoken"].value
    created = client.post(f"/p/{token}/companions/", {"label": "Dad", "csrfmiddlewaretoken": csrf})
    assert created.status_code == 200
    html = created.content.decode()
    (companion_token,) = set(re.findall(r"calendar/(icf_[A-Za-z0-9_-]{43})\.ics", html)) - {token}
    feed = CalendarFeed.objects.get(kind="companion")
    assert feed.label == "Dad" and feed.created_by is None
    with time_machine.travel(NOW, tick=False):
        pickups = events(Client().get(f"/calendar/{companion_token}.ics").content)
    assert f"pickup-{booked['upcoming'].pk}@interventional-clinic.invalid" in pickups
    assert all(uid.startswith("pickup-") for uid in pickups)
    # Never shown again.
    assert companion_token not in page(token, client).content.decode()
    revoked = client.post(f"/p/{token}/companions/{feed.pk}/revoke/", {"csrfmiddlewaretoken": csrf})
    assert revoked.status_code == 302
    assert Client().get(f"/calendar/{companion_token}.ics").status_code == 404
    assert first.status_code == 200


def test_companion_page_post_needs_csrf(booked):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/p/{booked['token']}/companions/", {"label": "x"}).status_code == 403
    assert CalendarFeed.objects.filter(kind="companion").count() == 0


def test_cannot_revoke_another_patients_companion(booked, site):
    other = make_patient(site, given="Other", family="Person")
    theirs, _ = make_feed("companion", site, patient=other)
    response = Client().post(f"/p/{booked['token']}/companions/{theirs.pk}/revoke/")
    assert response.status_code == 404
    assert CalendarFeed.objects.get(pk=theirs.pk).revoked_at is None


def test_companion_token_does_not_open_the_patient_page(booked, site, patient):
    _, companion = make_feed("companion", site, patient=patient)
    assert page(companion).status_code == 404


def test_reminder_choice_changes_the_feed_alarm(booked):
    token = booked["token"]
    response = Client().post(f"/p/{token}/reminder/", {"alarm_minutes": "0"})
    assert response.status_code == 302
    with time_machine.travel(NOW, tick=False):
        body = Client().get(f"/calendar/{token}.ics").content
    assert b"VALARM" not in body
    Client().post(f"/p/{token}/reminder/", {"alarm_minutes": "120"})
    with time_machine.travel(NOW, tick=False):
        body = Client().get(f"/calendar/{token}.ics").content
    assert b"TRIGGER:-PT2H15M" in body
    bad = Client().post(f"/p/{token}/reminder/", {"alarm_minutes": "-3"})
    assert bad.status_code == 422


@pytest.mark.parametrize("token", ["icf_" + "B" * 43, "garbage", "icf_" + "%" * 43])
def test_unknown_or_malformed_page_tokens_are_404(booked, token):
    response = page(token)
    assert response.status_code == 404
    assert response.content == b"Not found.\n"


def test_admin_actions_revoke_and_rotate(booked, rf, admin_user):
    feed = CalendarFeed.objects.get(kind="patient")
    request = rf.post("/admin/")
    request.user = admin_user
    request._messages = _Messages()
    model_admin = CalendarFeedAdmin(CalendarFeed, admin_site)
    assert "token_hash" not in model_admin.fields
    rotate_feeds(model_admin, request, CalendarFeed.objects.filter(pk=feed.pk))
    (message,) = request._messages.seen
    new_token = _match(r"calendar/(icf_[A-Za-z0-9_-]{43})\.ics", message)
    assert new_token != booked["token"]
    assert page(booked["token"]).status_code == 404
    assert page(new_token).status_code == 200
    revoke_feeds(model_admin, request, CalendarFeed.objects.filter(pk=feed.pk))
    assert page(new_token).status_code == 404


class _Messages:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def add(self, level, message, extra_tags="") -> None:
        self.seen.append(str(message))


def test_repeated_arrangements_are_said_once(booked, site):
    course = booked["upcoming"].course
    with time_machine.travel(NOW, tick=False):
        add_session(course, site, "2026-03-09")
        html = page(booked["token"]).content.decode()
    assert html.count("A ride home: you must not drive until the next day.") == 1
    assert html.count("the same as for the appointment before") == 1


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)
