"""A cancelled session dropping out of calendar feeds after the site's retention period moves
Last-Modified (scheduling/feed_expiry.py, run by scheduling.tasks.expire_cancelled_feed_entries):
a client revalidating with If-Modified-Since gets the feed without the event, not a 304."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.models import Patient, Resource
from scheduling.models import CalendarFeed, Session
from scheduling.session_cancellation import session_cancel
from scheduling.tasks import expire_cancelled_feed_entries
from tests.scheduling.feed_support import add_session, esketamine_course, events, make_feed
from tests.support.factories import make_patient, make_site

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
RETENTION = 14


@pytest.fixture
def cancelled(site, scheduler, patient):
    """A patient with two sessions; the second cancelled at NOW."""
    site.feed_cancelled_days = RETENTION
    site.save()
    with time_machine.travel(NOW, tick=False):
        course = esketamine_course(patient, scheduler)
        sessions = [add_session(course, site, day) for day in ("2026-03-02", "2026-03-05")]
        session_cancel(session_id=sessions[1].pk, reason="patient unwell", by=scheduler)
    Session.objects.filter(pk=sessions[1].pk).update(updated_at=NOW)
    # The patient fixture was made at the real time, later than NOW: Last-Modified must be NOW.
    Patient.objects.filter(pk=patient.pk).update(updated_at=NOW)
    return sessions[1]


def uid(session: Session) -> str:
    return f"session-{session.pk}@interventional-clinic.invalid"


def get(token: str, **headers):
    return Client().get(f"/calendar/{token}.ics", headers=headers)


def test_if_modified_since_gets_the_feed_without_the_dropped_session(site, patient, cancelled):
    with time_machine.travel(NOW, tick=False):
        feed, token = make_feed("patient", site, patient=patient)
        first = get(token)
    assert events(first.content)[uid(cancelled)]["status"] == "CANCELLED"
    since = first["Last-Modified"]

    with time_machine.travel(NOW + dt.timedelta(days=RETENTION + 1), tick=False):
        assert expire_cancelled_feed_entries() == 1
        again = get(token, if_modified_since=since)
        assert again.status_code == 200
        assert uid(cancelled) not in events(again.content)
        assert again["Last-Modified"] != since
        feed.refresh_from_db()
        stamp = feed.content_changed_at
        assert stamp == NOW + dt.timedelta(days=RETENTION + 1)

        # A second run changes nothing, and the client's new copy is fresh.
        assert expire_cancelled_feed_entries() == 0
        feed.refresh_from_db()
        assert feed.content_changed_at == stamp
        assert get(token, if_modified_since=again["Last-Modified"]).status_code == 304

    with time_machine.travel(NOW + dt.timedelta(days=RETENTION + 2), tick=False):
        assert expire_cancelled_feed_entries() == 0


def test_nothing_is_marked_while_the_session_is_still_kept(site, patient, cancelled):
    with time_machine.travel(NOW, tick=False):
        feed, token = make_feed("patient", site, patient=patient)
    with time_machine.travel(NOW + dt.timedelta(days=RETENTION - 1), tick=False):
        assert expire_cancelled_feed_entries() == 0
        assert uid(cancelled) in events(get(token).content)
    feed.refresh_from_db()
    assert feed.content_changed_at is None


def test_only_the_feeds_that_held_the_session_are_marked(
    site, other_site, patient, nurse, scheduler, cancelled
):
    chair = cancelled.holds.first().resource
    other_chair = Resource.objects.filter(site=site, kind="monitoring_chair").exclude(pk=chair.pk)
    someone_else = make_patient(site, mrn="X-2")
    with time_machine.travel(NOW, tick=False):
        revoked = make_feed("patient", site, patient=patient)[0]
        CalendarFeed.objects.filter(pk=revoked.pk).update(revoked_at=NOW)
        held = {
            "patient": make_feed("patient", site, patient=patient)[0],
            "companion": make_feed("companion", site, patient=patient)[0],
            "site": make_feed("site", site)[0],
            "chair": make_feed("resource", site, resource=chair)[0],
            # A nurse with no assigned course sees every session of the site.
            "nurse": make_feed("staff", site, user=nurse)[0],
        }
        not_held = {
            "other patient": make_feed("patient", site, patient=someone_else)[0],
            "other chair": make_feed("resource", site, resource=other_chair.first())[0],
            "other site": make_feed("site", other_site)[0],
            "revoked": revoked,
        }
    later = NOW + dt.timedelta(days=RETENTION + 1)
    with time_machine.travel(later, tick=False):
        # A feed made after the session dropped out never showed it.
        not_held["new"] = make_feed("companion", site, patient=patient)[0]
        assert expire_cancelled_feed_entries() == len(held)
    for name, feed in held.items():
        feed.refresh_from_db()
        assert feed.content_changed_at == later, name
    for name, feed in not_held.items():
        feed.refresh_from_db()
        assert feed.content_changed_at is None, name


def test_constant_number_of_queries(site, patient, scheduler, cancelled):
    def queries_for_a_run() -> int:
        with CaptureQueriesContext(connection) as queries:
            expire_cancelled_feed_entries()
        return len(queries)

    with time_machine.travel(NOW, tick=False):
        make_feed("patient", site, patient=patient)
    with time_machine.travel(NOW + dt.timedelta(days=RETENTION + 1), tick=False):
        few = queries_for_a_run()
    with time_machine.travel(NOW, tick=False):
        for n in range(3):
            extra_site = make_site(slug=f"extra-{n}")
            extra_patient = make_patient(extra_site, mrn=f"E-{n}")
            course = esketamine_course(extra_patient, scheduler)
            for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
                add_session(course, extra_site, day)
            make_feed("patient", extra_site, patient=extra_patient)
            make_feed("site", extra_site)
        # Cancelled as a closure would leave them (the scheduler works at the first site only).
        Session.objects.filter(site__slug__startswith="extra-").update(
            status=Session.Status.CANCELLED, updated_at=NOW
        )
    with time_machine.travel(NOW + dt.timedelta(days=RETENTION + 2), tick=False):
        many = queries_for_a_run()
    assert few == many <= 4  # sites, the UPDATE (+ the test transaction's savepoint pair)
