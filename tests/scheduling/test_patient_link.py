"""/calendar/<token>.ics through Django: headers, conditional GET, HEAD, queries, changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from scheduling.models import CalendarFeed, Session
from scheduling.session_cancellation import session_cancel
from scheduling.session_reschedule import session_reschedule
from tests.scheduling.feed_support import add_session, esketamine_course, events, make_feed
from tests.support.clock import local
from tests.support.factories import bulk_sessions, make_patient

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(travel, site, scheduler, patient):
    course = esketamine_course(patient, scheduler)
    sessions = [add_session(course, site, day) for day in ("2026-03-02", "2026-03-05")]
    feed, token = make_feed("patient", site, patient=patient)
    return course, sessions, feed, token


def get(path: str, **headers):
    return Client().get(path, headers=headers)


def test_feed_is_text_calendar_with_private_caching_and_validators(booked):
    *_, token = booked
    response = get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    assert response["Last-Modified"]
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == "no-referrer"
    body = response.content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    for needle in (
        b"X-WR-CALNAME:Clinic appointments",
        b"X-WR-TIMEZONE:America/New_York",
        b"REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        b"X-PUBLISHED-TTL:PT1H",
        b"BEGIN:VTIMEZONE\r\nTZID:America/New_York",
    ):
        assert needle in body
    assert len(events(body)) == 2


def test_if_none_match_gives_304_in_three_queries(booked):
    *_, token = booked
    first = get(f"/calendar/{token}.ics")
    with CaptureQueriesContext(connection) as queries:
        again = get(f"/calendar/{token}.ics", if_none_match=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private"
    # The token's rate count (one UPSERT, scheduling/feed_limits.py), the token, the ETag.
    assert len(queries) <= 3


def test_if_modified_since_gives_304_in_three_queries(booked):
    *_, token = booked
    first = get(f"/calendar/{token}.ics")
    with CaptureQueriesContext(connection) as queries:
        again = get(f"/calendar/{token}.ics", if_modified_since=first["Last-Modified"])
    assert again.status_code == 304
    assert len(queries) <= 3  # rate count, token, ETag
    older = http_date((NOW - dt.timedelta(days=30)).timestamp())
    assert get(f"/calendar/{token}.ics", if_modified_since=older).status_code == 200


def test_head_has_the_headers_and_no_body(booked):
    *_, token = booked
    full = get(f"/calendar/{token}.ics")
    head = Client().head(f"/calendar/{token}.ics")
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == full["ETag"]
    assert head["Content-Type"] == "text/calendar; charset=utf-8"


def test_post_is_not_allowed(booked):
    *_, token = booked
    assert Client().post(f"/calendar/{token}.ics").status_code == 405


def test_moved_session_keeps_uid_with_higher_sequence_and_new_etag(booked, scheduler, site):
    _, sessions, _, token = booked
    first = get(f"/calendar/{token}.ics")
    uid = f"session-{sessions[0].pk}@interventional-clinic.invalid"
    before = events(first.content)[uid]
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        session_reschedule(
            session_id=sessions[0].pk, by=scheduler, to=local(site, "2026-03-03", "10:00")
        )
        moved = get(f"/calendar/{token}.ics", if_none_match=first["ETag"])
    assert moved.status_code == 200
    after = events(moved.content)[uid]
    assert after["sequence"] > before["sequence"]
    assert after["start"] == local(site, "2026-03-03", "10:00")
    assert after["start"].tzinfo is not None and str(after["start"].tzinfo) == "America/New_York"
    assert moved["ETag"] != first["ETag"]


def test_cancelled_session_stays_cancelled_then_drops_after_retention(booked, scheduler, site):
    _, sessions, _, token = booked
    uid = f"session-{sessions[1].pk}@interventional-clinic.invalid"
    site.feed_cancelled_days = 14
    site.save()
    session_cancel(session_id=sessions[1].pk, reason="patient unwell", by=scheduler)
    Session.objects.filter(pk=sessions[1].pk).update(updated_at=NOW)
    seen = events(get(f"/calendar/{token}.ics").content)
    assert seen[uid]["status"] == "CANCELLED"
    assert seen[uid]["summary"].startswith("Cancelled")
    assert seen[uid]["alarms"] == 0
    with time_machine.travel(NOW + dt.timedelta(days=13), tick=False):
        assert uid in events(get(f"/calendar/{token}.ics").content)
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        assert uid not in events(get(f"/calendar/{token}.ics").content)


@pytest.mark.parametrize(
    "token",
    [
        "icf_" + "A" * 43,  # well formed, unknown
        "nonsense",
        "icf_short",
        "icf_" + "A" * 42 + "!",
        "x" * 5000,
    ],
)
def test_unknown_or_malformed_tokens_are_a_plain_404(booked, token):
    response = get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert response.content == b"Not found.\n"


def test_revoked_token_is_the_same_404(booked):
    *_, feed, token = booked
    CalendarFeed.objects.filter(pk=feed.pk).update(revoked_at=NOW)
    response = get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert response.content == b"Not found.\n"
    assert get(f"/p/{token}/").status_code == 404


def test_staff_feed_of_someone_who_left_the_site_is_404(travel, site, nurse):
    _, token = make_feed("staff", site, user=nurse)
    assert get(f"/calendar/{token}.ics").status_code == 200
    site.staff.remove(nurse)
    assert get(f"/calendar/{token}.ics").status_code == 404


def _site_feed_queries(site, scheduler, count: int) -> int:
    chair = site.resources.filter(kind="tms_chair").first()
    start = local(site, "2026-03-02", "08:00")
    slots = [(chair, start + dt.timedelta(hours=i), 40) for i in range(count)]
    bulk_sessions(site=site, booked_by=scheduler, slots=slots, patients=5)
    _, token = make_feed("site", site)
    with CaptureQueriesContext(connection) as queries:
        response = get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert len(events(response.content)) == count
    return len(queries)


def test_queries_are_constant_for_5_and_500_sessions(travel, site, other_site, scheduler):
    few = _site_feed_queries(site, scheduler, 5)
    from tests.support.factories import make_user

    other_scheduler = make_user("sam2", "scheduler", other_site)
    many = _site_feed_queries(other_site, other_scheduler, 500)
    assert few == many
    # 5 to build; 1 to count the token's rate and 1 to drop past windows' counts; the body
    # cache: 1 read, and the DatabaseCache write (count, read, write, savepoint: 5 or 6); the
    # build lock (an add like that write, and its delete: 6). Only a cold build pays the lock.
    assert few <= 19


def test_staff_feed_shows_initials_not_names_by_default(travel, site, scheduler, clinician):
    patient = make_patient(site, given="Alexandra", family="Morgan", mrn="RIP-0042")
    course = esketamine_course(patient, scheduler)
    add_session(course, site, "2026-03-02")
    _, token = make_feed("staff", site, user=clinician)
    body = get(f"/calendar/{token}.ics").content
    (event,) = events(body).values()
    assert "A.M. (0042)" in event["summary"]
    assert b"Alexandra" not in body and b"Morgan" not in body
    site.staff_feed_shows_full_names = True
    site.save()
    body = get(f"/calendar/{token}.ics").content
    assert b"Alexandra Morgan" in body


def test_staff_feed_is_assigned_courses_else_site_sessions(travel, site, scheduler, clinician):
    mine = esketamine_course(make_patient(site, given="Ann", family="Mine"), scheduler)
    theirs = esketamine_course(make_patient(site, given="Bob", family="Theirs"), scheduler)
    a = add_session(mine, site, "2026-03-02")
    b = add_session(theirs, site, "2026-03-03")
    _, token = make_feed("staff", site, user=clinician)
    uids = set(events(get(f"/calendar/{token}.ics").content))
    assert {
        f"session-{a.pk}@interventional-clinic.invalid",
        f"session-{b.pk}@interventional-clinic.invalid",
    } == uids
    mine.prescriber = clinician
    mine.save()
    uids = set(events(get(f"/calendar/{token}.ics").content))
    assert uids == {f"session-{a.pk}@interventional-clinic.invalid"}


def test_resource_feed_lists_sessions_holding_the_room(travel, site, scheduler, patient):
    course = esketamine_course(patient, scheduler)
    s = add_session(course, site, "2026-03-02")
    chair = s.holds.get(part="procedure").resource
    other = site.resources.filter(kind="tms_chair").first()
    _, token = make_feed("resource", site, resource=chair)
    _, empty = make_feed("resource", site, resource=other)
    assert len(events(get(f"/calendar/{token}.ics").content)) == 1
    assert events(get(f"/calendar/{empty}.ics").content) == {}


def test_companion_feed_has_only_pickups(booked, site, patient):
    _, sessions, _, _ = booked
    _, token = make_feed("companion", site, patient=patient)
    body = get(f"/calendar/{token}.ics").content
    seen = events(body)
    assert set(seen) == {f"pickup-{s.pk}@interventional-clinic.invalid" for s in sessions}
    first = seen[f"pickup-{sessions[0].pk}@interventional-clinic.invalid"]
    assert first["start"] == sessions[0].observation_end
    assert first["summary"] == "Pick-up"
