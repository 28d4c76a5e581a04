"""Calendar feeds from the staff pages (issue 8 point 1: "revoked and rotated through ... the
pages"): the patient's link on the patient page, "My calendar", and site and room feeds on the
site page. Same roles as the API, a token shown once, a double submit changes nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from clinic.models import Resource
from clinic.submissions import new_key
from scheduling.models import CalendarFeed
from tests.pages.test_page_roles import client_for

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"icf_[A-Za-z0-9_-]{43}")


def post(client: Client, url: str, key: str | None = None, **data: str):
    return client.post(url, {"form_key": key or new_key(), **data})


def tokens_in(response) -> set[str]:
    return set(TOKEN.findall(response.content.decode()))


def test_scheduler_issues_the_patient_link_shown_once(scheduler, patient):
    client = client_for(scheduler)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Issue the patient&#x27;s link" in page or "Issue the patient's link" in page

    response = post(client, f"/patients/{patient.pk}/feeds/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    (token,) = tokens_in(response)
    html = response.content.decode()
    assert f"http://testserver/calendar/{token}.ics" in html
    assert f"webcal://testserver/calendar/{token}.ics" in html
    assert f"http://testserver/p/{token}/" in html
    feed = CalendarFeed.objects.get(patient=patient, kind="patient")
    assert token not in feed.token_hash and feed.created_by == scheduler
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    # Never again: the patient page lists the link without its token and offers no second one.
    again = client.get(f"/patients/{patient.pk}/")
    assert tokens_in(again) == set()
    body = again.content.decode()
    assert f'id="feed-{feed.pk}"' in body and "Active" in body
    assert "Issue the patient" not in body


def test_a_double_submit_issues_once_and_shows_no_token_the_second_time(clinician, patient):
    client = client_for(clinician)
    key = new_key()
    first = post(client, f"/patients/{patient.pk}/feeds/", key)
    second = post(client, f"/patients/{patient.pk}/feeds/", key)
    assert len(tokens_in(first)) == 1
    assert second.status_code == 302 and tokens_in(second) == set()
    assert CalendarFeed.objects.filter(patient=patient).count() == 1
    assert "sent twice" in client.get(second["Location"]).content.decode()


def test_a_second_link_is_refused_with_a_message_not_a_500(scheduler, patient):
    client = client_for(scheduler)
    post(client, f"/patients/{patient.pk}/feeds/")
    response = post(client, f"/patients/{patient.pk}/feeds/")
    assert response.status_code == 302
    assert "rotate it" in client.get(response["Location"]).content.decode()
    assert CalendarFeed.objects.filter(patient=patient).count() == 1


def test_nurse_may_not_issue_a_patient_link_as_in_the_api(nurse, patient, api_as):
    # The API forbids it (feed_create: schedulers and clinicians) ...
    api = api_as(nurse)
    assert api.post("/api/v1/feeds", {"kind": "patient", "patient_id": patient.pk}).status_code == (
        403
    )
    client = client_for(nurse)
    # ... so the page neither offers it nor does it.
    assert "Calendar link" not in client.get(f"/patients/{patient.pk}/").content.decode()
    assert post(client, f"/patients/{patient.pk}/feeds/").status_code == 403
    assert not CalendarFeed.objects.exists()


def test_another_sites_patient_is_404(outsider, patient):
    assert post(client_for(outsider), f"/patients/{patient.pk}/feeds/").status_code == 404
    assert not CalendarFeed.objects.exists()


def test_rotate_shows_a_new_token_once_and_revoke_kills_the_link(scheduler, nurse, patient):
    client = client_for(scheduler)
    (old,) = tokens_in(post(client, f"/patients/{patient.pk}/feeds/"))
    feed = CalendarFeed.objects.get(patient=patient)
    back = f"/patients/{patient.pk}/#feeds"

    # A nurse cannot manage a patient feed: 404 as the API's feed_get.
    assert post(client_for(nurse), f"/feeds/{feed.pk}/rotate/", next=back).status_code == 404

    (new,) = tokens_in(post(client, f"/feeds/{feed.pk}/rotate/", next=back))
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200

    response = post(client, f"/feeds/{feed.pk}/revoke/", next=back)
    assert response.status_code == 302 and response["Location"] == back
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Revoked" in page and "Issue the patient" in page


def test_every_staff_member_manages_their_own_staff_feed(nurse, scheduler, site):
    client = client_for(nurse)
    assert f"Make my feed for {site.name}" in client.get("/my-calendar/").content.decode()
    response = post(client, "/my-calendar/", site=str(site.pk))
    (token,) = tokens_in(response)
    feed = CalendarFeed.objects.get(kind="staff", user=nurse)
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    listed = client.get("/my-calendar/")
    assert tokens_in(listed) == set() and f'id="feed-{feed.pk}"' in listed.content.decode()
    assert f"Make my feed for {site.name}" not in listed.content.decode()

    # Someone else's staff feed is not theirs to rotate or revoke.
    other = client_for(scheduler)
    assert post(other, f"/feeds/{feed.pk}/revoke/").status_code == 404
    assert post(other, f"/feeds/{feed.pk}/rotate/").status_code == 404
    assert post(client, f"/feeds/{feed.pk}/revoke/").status_code == 302
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_scheduler_makes_site_and_room_feeds_on_the_site_page(scheduler, nurse, site, other_site):
    client = client_for(scheduler)
    assert "Calendar feeds" in client.get("/site/").content.decode()
    room = Resource.objects.filter(site=site).order_by("name")[0]
    (room_token,) = tokens_in(
        post(client, "/site/feeds/", site=str(site.pk), target=f"resource:{room.pk}")
    )
    (site_token,) = tokens_in(post(client, "/site/feeds/", site=str(site.pk), target="site"))
    assert CalendarFeed.objects.get(kind="resource").resource == room
    assert CalendarFeed.objects.get(kind="site").site == site
    assert client.get(f"/calendar/{room_token}.ics").status_code == 200
    assert client.get(f"/calendar/{site_token}.ics").status_code == 200
    assert tokens_in(client.get("/site/")) == set()

    # Another site's room, or another site: 404; nothing made.
    other_room = Resource.objects.filter(site=other_site)[0]
    assert (
        post(
            client, "/site/feeds/", site=str(site.pk), target=f"resource:{other_room.pk}"
        ).status_code
        == 404
    )
    assert post(client, "/site/feeds/", site=str(other_site.pk), target="site").status_code == 404
    assert CalendarFeed.objects.count() == 2
    assert "Calendar feeds" not in client_for(nurse).get("/site/").content.decode()


def test_feed_forms_need_csrf(scheduler, patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(scheduler)
    assert post(client, f"/patients/{patient.pk}/feeds/").status_code == 403
    assert post(client, "/my-calendar/").status_code == 403
    assert not CalendarFeed.objects.exists()
