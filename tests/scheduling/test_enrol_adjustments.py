"""A course not placed where it was asked says so: each moved session with why, in the booking's
answer and the preview's, and the course starts on its first session's date (issue 11 point 12).

Riverside is America/New_York, open Mon-Fri 08:00-18:00, US holidays (Thanksgiving is Thursday
2026-11-26).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.models import Resource
from scheduling.models import Course
from tests.scheduling.booking_support import NY, TMS_10
from tests.support.factories import make_patient, make_protocol

THANKSGIVING = dt.date(2026, 11, 26)
SUNDAY = dt.date(2026, 11, 22)
MONDAY = dt.date(2026, 11, 23)
BEFORE = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # the Friday before
ONE_A_DAY = {
    "modality": "tms",
    "phases": [
        {
            "name": "accelerated",
            "sessions": 20,
            "sessions_per_week": 5,
            "sessions_per_day": 10,
            "min_minutes_between_starts": 50,
            "max_days_between": 1,
        }
    ],
    "timing": {"procedure_minutes": 10, "procedure_holds": ["tms_chair"]},
}


def enrol(client, patient, start: dt.date, time: str = "09:00", **extra):
    body = {
        "patient_id": patient.pk,
        "protocol": "tms",
        "site_id": patient.site_id,
        "start_date": start.isoformat(),
        "preferred_time": time,
        **extra,
    }
    return client.post("courses", body)


def preview(client, site, start: dt.date, time: str = "09:00"):
    body = {"site_id": site.pk, "start_date": start.isoformat(), "preferred_time": time}
    return client.post("protocols/tms/preview", body)


@pytest.fixture
def before():
    with time_machine.travel(BEFORE, tick=False):
        yield


def test_a_start_on_a_public_holiday_says_so_and_starts_the_next_day(
    before, site, scheduler, patient, api_as
):
    make_protocol(TMS_10, "tms")
    response = enrol(api_as(scheduler), patient, THANKSGIVING)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["start_date"] == "2026-11-27"
    assert Course.objects.get().start_date == dt.date(2026, 11, 27)
    assert data["sessions"][0]["start"].startswith("2026-11-27T14:00:00")
    [change] = data["adjustments"]
    assert change["number"] == 1
    assert change["requested_date"] == "2026-11-26" and change["requested_time"] == "09:00:00"
    assert change["date"] == "2026-11-27" and change["time"] == "09:00:00"
    assert change["reason_code"] == "holiday"
    assert "Thanksgiving" in change["reason"]


def test_the_preview_lists_the_same_holiday_move(before, site, scheduler, api_as):
    make_protocol(TMS_10, "tms")
    response = preview(api_as(scheduler), site, THANKSGIVING)

    assert response.status_code == 200, response.content
    [change] = response.json()["adjustments"]
    assert (change["number"], change["date"], change["reason_code"]) == (1, "2026-11-27", "holiday")
    assert "Thanksgiving" in change["reason"]


def test_a_sunday_start_is_a_closed_day(before, site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms")
    response = enrol(api_as(scheduler), patient, SUNDAY, dry_run=True)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["start_date"] == MONDAY.isoformat()
    [change] = data["adjustments"]
    assert change["requested_date"] == SUNDAY.isoformat() and change["date"] == MONDAY.isoformat()
    assert change["reason_code"] == "closed_day"
    assert "Sunday" in change["reason"]


def test_today_at_an_hour_already_past_is_time_passed(site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms")
    eleven = dt.datetime(2026, 11, 23, 11, 0, tzinfo=NY)  # Monday 11:00 in New York
    with time_machine.travel(eleven, tick=False):
        response = enrol(api_as(scheduler), patient, MONDAY)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["start_date"] == MONDAY.isoformat()
    first = dt.datetime.fromisoformat(data["sessions"][0]["start"]).astimezone(NY)
    assert first.date() == MONDAY and first.time() >= dt.time(11, 0)
    [change] = data["adjustments"]
    assert change["number"] == 1
    assert change["requested_time"] == "09:00:00" and change["time"] == f"{first:%H:%M:%S}"
    assert change["reason_code"] == "time_passed"
    assert "09:00" in change["reason"]


def test_a_busy_chair_moves_the_sessions_and_says_which(before, site, scheduler, api_as):
    make_protocol(TMS_10, "tms")
    chair = Resource.objects.filter(site=site, kind="tms_chair").order_by("pk").first()
    assert chair is not None
    first, second = make_patient(site, "MRN-A"), make_patient(site, "MRN-B")
    client = api_as(scheduler)
    assert enrol(client, first, MONDAY, resource_ids=[chair.pk]).status_code == 201

    response = enrol(client, second, MONDAY, resource_ids=[chair.pk])

    assert response.status_code == 201, response.content
    changes = response.json()["adjustments"]
    assert [c["number"] for c in changes] == list(range(1, 11))
    assert {c["reason_code"] for c in changes} == {"resource_busy"}
    assert all(c["requested_time"] == "09:00:00" and c["time"] != "09:00:00" for c in changes)
    # The kind in words (issue 18): internal names never reach a message.
    assert "no free TMS chair" in changes[0]["reason"]


def test_a_course_placed_as_asked_has_no_adjustments(before, site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms")
    response = enrol(api_as(scheduler), patient, MONDAY)

    assert response.status_code == 201
    assert response.json()["adjustments"] == []
    assert response.json()["start_date"] == MONDAY.isoformat()


def test_the_preview_refuses_a_start_in_the_past_like_booking(
    before, site, scheduler, patient, api_as
):
    make_protocol(TMS_10, "tms")
    client = api_as(scheduler)
    yesterday = BEFORE.astimezone(NY).date() - dt.timedelta(days=1)

    shown = preview(client, site, yesterday)
    booked = enrol(client, patient, yesterday)

    assert shown.status_code == booked.status_code == 422
    assert shown.json()["code"] == booked.json()["code"] == "start_in_past"


def test_an_unplannable_course_gives_the_same_details_on_both(
    before, site, scheduler, patient, api_as
):
    make_protocol(ONE_A_DAY, "tms")
    client = api_as(scheduler)
    friday = dt.date(2026, 11, 27)

    shown = preview(client, site, friday)
    booked = enrol(client, patient, friday)

    assert shown.status_code == booked.status_code == 422
    assert shown.json()["code"] == booked.json()["code"] == "unplannable"
    assert shown.json()["details"] == booked.json()["details"]
    assert set(booked.json()["details"]) >= {"rule", "day", "phase"}
    assert booked.json()["details"]["rule"] == "max_days_between"
