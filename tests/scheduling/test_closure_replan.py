"""Closing a site day: affected sessions are listed, and re-planned when asked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.models import Closure
from scheduling.closures import site_close_day
from scheduling.enrolment import course_enrol
from scheduling.models import Session
from tests.scheduling.booking_support import MONDAY, NINE, NOW, TMS_10, local_of
from tests.support.factories import make_protocol

WEDNESDAY = MONDAY + dt.timedelta(days=2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def course(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    return course_enrol(
        patient=patient.pk,
        protocol="tms",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).course


def days(course) -> list[dt.date]:
    return [
        local_of(s.start).date()
        for s in Session.objects.filter(course=course, active=True).order_by("number")
    ]


def test_dry_run_lists_affected_sessions_and_writes_nothing(site, scheduler, course, api_as):
    before = days(course)
    response = api_as(scheduler).post(
        f"sites/{site.pk}/closures",
        {"date": WEDNESDAY.isoformat(), "reason": "fire drill", "dry_run": True},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] is False
    assert [s["number"] for s in body["affected"]] == [3]
    assert [m["number"] for m in body["moved"]][:1] == [3]  # what replanning would do
    assert not Closure.objects.exists()
    assert days(course) == before
    assert set(Session.objects.values_list("sequence", flat=True)) == {0}


def test_closing_a_day_with_replan_moves_its_sessions(site, scheduler, course, api_as):
    response = api_as(scheduler).post(
        f"sites/{site.pk}/closures", {"date": WEDNESDAY.isoformat(), "reason": "power cut"}
    )
    assert response.status_code == 201, response.content
    assert Closure.objects.filter(site=site, date=WEDNESDAY, reason="power cut").exists()
    after = days(course)
    assert WEDNESDAY not in after and len(set(after)) == 10
    moved = [m["number"] for m in response.json()["moved"]]
    assert moved[0] == 3 and after[2] == WEDNESDAY + dt.timedelta(days=1)
    assert response.json()["problems"] == []


def test_closing_without_replan_leaves_sessions_for_staff_to_move(site, scheduler, course):
    result = site_close_day(
        site=site.pk, date=WEDNESDAY, reason="strike", by=scheduler, replan=False, now=NOW
    )
    assert [s.number for s in result.affected] == [3] and result.moved == []
    assert WEDNESDAY in days(course)
    assert Closure.objects.filter(date=WEDNESDAY).exists()


def test_closing_twice_is_a_conflict(site, admin_user, course, api_as):
    client = api_as(admin_user)
    data = {"date": WEDNESDAY.isoformat(), "reason": "x", "replan": False}
    assert client.post(f"sites/{site.pk}/closures", data).status_code == 201
    again = client.post(f"sites/{site.pk}/closures", data)
    assert (again.status_code, again.json()["code"]) == (409, "already_closed")


def test_only_admins_and_schedulers_close_days(site, nurse, clinician, outsider, course, api_as):
    data = {"date": WEDNESDAY.isoformat(), "reason": "x"}
    for user in (nurse, clinician):
        response = api_as(user).post(f"sites/{site.pk}/closures", data)
        assert (response.status_code, response.json()["code"]) == (403, "role_forbidden")
    response = api_as(outsider).post(f"sites/{site.pk}/closures", data)
    assert (response.status_code, response.json()["code"]) == (404, "site_not_found")
    assert not Closure.objects.exists()


def test_replan_on_a_day_already_closed_in_the_admin_moves_its_sessions(
    site, scheduler, course, api_as
):
    # The admin's closure inline records the day only; the sessions stay until re-planned.
    Closure.objects.create(site=site, date=WEDNESDAY, reason="boiler repair")
    assert WEDNESDAY in days(course)

    response = api_as(scheduler).post(
        f"sites/{site.pk}/closures",
        {"date": WEDNESDAY.isoformat(), "reason": "boiler repair", "replan": True},
    )

    assert response.status_code == 200, response.content
    assert response.json()["created"] is False
    assert [m["number"] for m in response.json()["moved"]][:1] == [3]
    assert WEDNESDAY not in days(course)
    assert Closure.objects.filter(date=WEDNESDAY).count() == 1
