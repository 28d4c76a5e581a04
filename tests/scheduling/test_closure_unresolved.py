"""A closure that cannot re-plan some sessions is refused as a whole, listing them, unless the
scheduler confirms with `leave_unresolved`; then each is flagged on the board, the grid and
the site page until it is moved or cancelled (issue 15, point 4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.models import Closure
from scheduling.enrolment import course_enrol
from scheduling.models import Session
from scheduling.session_cancellation import session_cancel
from tests.scheduling.booking_support import MONDAY, NINE, NOW, SAINT, local_of
from tests.support.factories import make_protocol

WEDNESDAY = MONDAY + dt.timedelta(days=2)
# Accelerated TMS: ten sessions a day on five consecutive weekdays; a day of it cannot move
# (max_days_between 1 would break).
SAINT_BLOCK: dict = {
    **SAINT,
    "phases": [
        {
            **SAINT["phases"][0],  # type: ignore[index]
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "max_days_between": 1,
        }
    ],
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def saint(site, scheduler, patient):
    make_protocol(SAINT_BLOCK, "saint")
    return course_enrol(
        patient=patient.pk,
        protocol="saint",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).course


def wednesday_sessions(course) -> list[Session]:
    return [
        s
        for s in Session.objects.filter(course=course, active=True).order_by("start")
        if local_of(s.start).date() == WEDNESDAY
    ]


def close(api, site, **extra):
    body = {"date": WEDNESDAY.isoformat(), "reason": "power cut", **extra}
    return api.post(f"sites/{site.pk}/closures", body)


def test_a_closure_that_cannot_replan_is_refused_as_a_whole_listing_the_sessions(
    site, scheduler, saint, api_as
):
    before = [(s.pk, s.start) for s in wednesday_sessions(saint)]
    assert len(before) == 10
    response = close(api_as(scheduler), site)
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "closure_unresolved"
    listed = body["details"]["sessions"]
    assert sorted(s["id"] for s in listed) == sorted(pk for pk, _ in before)
    assert all(s["reason"] for s in listed)
    assert "leave_unresolved" in body["message"]
    # Nothing written: no closure, nothing moved.
    assert not Closure.objects.exists()
    assert [(s.pk, s.start) for s in wednesday_sessions(saint)] == before


def test_the_dry_run_gives_the_same_refusal(site, scheduler, saint, api_as):
    response = close(api_as(scheduler), site, dry_run=True)
    assert (response.status_code, response.json()["code"]) == (409, "closure_unresolved")


def test_leave_unresolved_records_the_closure_and_flags_each_session(
    site, scheduler, saint, api_as, client
):
    response = close(api_as(scheduler), site, leave_unresolved=True)
    assert response.status_code == 201, response.json()
    assert Closure.objects.filter(site=site, date=WEDNESDAY).exists()
    left = wednesday_sessions(saint)
    assert len(left) == 10
    assert len(response.json()["unresolved"]) == 10
    client.force_login(scheduler)
    for path in (
        f"/?site={site.pk}&date={WEDNESDAY}",
        f"/grid/?site={site.pk}&date={WEDNESDAY}",
        f"/site/?site={site.pk}",
    ):
        page = client.get(path).content.decode()
        for s in left:
            assert f'id="flag-closed_day-{s.pk}"' in page, path
        assert "booked on a closed day (power cut)" in page


def test_a_flag_goes_when_its_session_is_cancelled(site, scheduler, saint, api_as, client):
    close(api_as(scheduler), site, leave_unresolved=True)
    first, *rest = wednesday_sessions(saint)
    session_cancel(session_id=first.pk, reason="clinic closed", by=scheduler, now=NOW)
    client.force_login(scheduler)
    page = client.get(f"/?site={site.pk}&date={WEDNESDAY}").content.decode()
    assert f'id="flag-closed_day-{first.pk}"' not in page
    assert f'id="flag-closed_day-{rest[0].pk}"' in page
