"""One feed link cannot saturate the service (issue 16, point 9): a feed reaches a bounded
window ahead (`Site.feed_future_months`, default 12), the built body is cached by ETag in the
database cache table shared by every worker, and more than FEED_RATE_LIMIT requests per window
for one token get 429 with Retry-After."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from scheduling.feed_selectors import feed_window_end
from scheduling.views import patient_link
from tests.scheduling.feed_support import add_session, esketamine_course, events, make_feed

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["feeds"].clear()
    with time_machine.travel(NOW, tick=False):
        yield
    caches["feeds"].clear()


@pytest.fixture
def booked(site, scheduler, patient):
    course = esketamine_course(patient, scheduler)
    near = add_session(course, site, "2026-03-02")
    # 13 months ahead: beyond the default window.
    far = add_session(course, site, "2027-04-05")
    _feed, token = make_feed("site", site)
    return near, far, token


def test_the_database_cache_is_a_shared_backend():
    from django.conf import settings

    backend = caches["feeds"].__class__.__name__
    assert backend == "DatabaseCache" and "feeds" in settings.CACHES
    assert "django_cache" in connection.introspection.table_names()


def test_a_feed_reaches_only_the_sites_window_ahead(booked, site):
    near, far, token = booked
    uids = set(events(Client().get(f"/calendar/{token}.ics").content))
    assert any(f"session-{near.pk}@" in u for u in uids)
    assert not any(f"session-{far.pk}@" in u for u in uids)
    site.feed_future_months = 14
    site.save()
    uids = set(events(Client().get(f"/calendar/{token}.ics").content))
    assert any(f"session-{far.pk}@" in u for u in uids)


def test_the_window_counts_calendar_months_in_the_site_zone(site):
    site.feed_future_months = 1
    at = dt.datetime(2026, 1, 31, 15, 0, tzinfo=dt.UTC)  # 31 Jan, 10:00 in New York
    end = feed_window_end(site, at)
    assert end.astimezone(site.zone).date() == dt.date(2026, 2, 28)


def test_a_built_body_is_served_from_the_cache(booked, monkeypatch):
    *_, token = booked
    first = Client().get(f"/calendar/{token}.ics")
    assert first.status_code == 200

    def no_build(*args, **kwargs):
        raise AssertionError("the body was built again")

    monkeypatch.setattr(patient_link, "feed_sessions", no_build)
    with CaptureQueriesContext(connection) as queries:
        second = Client().get(f"/calendar/{token}.ics")
    assert second.status_code == 200 and second.content == first.content
    assert second["ETag"] == first["ETag"]
    # Token, ETag aggregate, rate count and cache read: no session load.
    assert not any("scheduling_resourcehold" in q["sql"] for q in queries.captured_queries)


def test_a_change_builds_a_new_body(booked, site):
    near, _far, token = booked
    first = Client().get(f"/calendar/{token}.ics")
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        add_session(near.course, site, "2026-03-09")
        second = Client().get(f"/calendar/{token}.ics")
    assert second["ETag"] != first["ETag"]
    assert len(events(second.content)) == len(events(first.content)) + 1


@override_settings(FEED_RATE_LIMIT=3, FEED_RATE_WINDOW=60)
def test_too_many_requests_for_one_token_get_429_with_retry_after(booked, patient, site):
    *_, token = booked
    _other_feed, other = make_feed("patient", site, patient=patient)
    answers = [Client().get(f"/calendar/{token}.ics").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = Client().get(f"/calendar/{token}.ics")
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert "private" in limited["Cache-Control"]
    # Another token is counted on its own.
    assert Client().get(f"/calendar/{other}.ics").status_code == 200
    # The next window lets the token in again.
    with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
        assert Client().get(f"/calendar/{token}.ics").status_code == 200


@override_settings(FEED_BUILD_WAIT_SECONDS=0.3)
def test_a_feed_another_request_is_still_building_answers_503_with_retry_after(booked):
    *_, token = booked
    first = Client().get(f"/calendar/{token}.ics")
    caches["feeds"].clear()
    # Another worker holds the build lock of this very body and has not finished.
    caches["feeds"].add(f"feed-body:{first['ETag'].strip(chr(34))}:building", 1, timeout=60)
    response = Client().get(f"/calendar/{token}.ics")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response["Cache-Control"].startswith("private")
