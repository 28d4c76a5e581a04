"""Preview and booking place with the same placer (issue 15, point 4): asked for today at an
hour already past, both give the same schedule and the same adjustments."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.scheduling.booking_support import NY

# Monday 9 March 2026, 11:30 in New York: a 09:00 first session today has already passed.
LATE_MORNING = dt.datetime(2026, 3, 9, 11, 30, tzinfo=NY)


@pytest.fixture
def library(db):
    from django.core.management import call_command

    call_command("load_protocols", verbosity=0)


def _sessions_of_preview(body):
    return [(s["number"], s["phase"], s["start_utc"]) for s in body["sessions"]]


def _sessions_of_booking(body):
    return [(s["number"], s["phase"], s["start"]) for s in body["sessions"]]


def _utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_preview_and_booking_agree_when_today_at_the_asked_hour_has_passed(
    library, site, scheduler, patient, api_as
):
    client = api_as(scheduler)
    today = LATE_MORNING.date().isoformat()
    with time_machine.travel(LATE_MORNING, tick=False):
        preview = client.post(
            "protocols/tms-10hz-standard/preview",
            {"site_id": site.pk, "start_date": today, "preferred_time": "09:00"},
        )
        booking = client.post(
            "courses",
            {
                "patient_id": patient.pk,
                "protocol": "tms-10hz-standard",
                "site_id": site.pk,
                "start_date": today,
                "preferred_time": "09:00",
                "dry_run": True,
            },
        )
    assert preview.status_code == 200, preview.json()
    assert booking.status_code == 200, booking.json()
    previewed = [(n, p, _utc(t)) for n, p, t in _sessions_of_preview(preview.json())]
    booked = [(n, p, _utc(t)) for n, p, t in _sessions_of_booking(booking.json())]
    assert previewed == booked
    # The first session is not at 09:00 (already past) in either.
    first = previewed[0][2]
    assert first >= LATE_MORNING.astimezone(dt.UTC)
    assert preview.json()["adjustments"] == booking.json()["adjustments"]
    assert preview.json()["adjustments"][0]["reason_code"] == "time_passed"
