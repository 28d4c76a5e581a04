"""GET /api/v1/availability: free slots per resource of a kind over a date range."""

import datetime as dt
import time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import Closure, Resource
from scheduling.models import Session
from tests.support.clock import local
from tests.support.factories import bulk_sessions, make_course, make_session, make_user

STAFF = ["scheduler", "nurse", "clinician", "admin_user"]
# A Monday morning, before every range asked for below.
NOW = dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def availability(client, site, **params):
    query = {"site_id": site.pk, "kind": "tms_chair", "minutes": 60, "step": 60, **params}
    return client.get("availability", **query)


def starts(resource_row):
    return [s["start_local"] for s in resource_row["slots"]]


def test_free_slots_per_chair_skip_holds_and_keep_local_hours_across_dst(
    site, scheduler, patient, api_as
):
    tms1 = Resource.objects.get(site=site, name="TMS 1")
    course = make_course(patient=patient, booked_by=scheduler)
    make_session(course=course, start=local(site, "2026-03-09", "09:00"), resources=[tms1])

    # Friday 6 March is EST, Monday 9 March EDT; the weekend is closed.
    response = availability(api_as(scheduler), site, start="2026-03-06", end="2026-03-09")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kind"], body["minutes"], body["step"]) == ("tms_chair", 60, 60)
    assert body["timezone"] == "America/New_York"
    chairs = {r["resource_name"]: r for r in body["resources"]}
    assert set(chairs) == {"TMS 1", "TMS 2"}
    tms2_starts = starts(chairs["TMS 2"])
    assert len(tms2_starts) == 20  # 08:00-18:00 on two open days
    assert tms2_starts[0] == "2026-03-06T08:00:00-05:00"
    assert tms2_starts[10] == "2026-03-09T08:00:00-04:00"
    assert chairs["TMS 2"]["slots"][10]["start"] == "2026-03-09T12:00:00Z"
    tms1_monday = [s for s in starts(chairs["TMS 1"]) if s.startswith("2026-03-09")]
    # The 09:00-09:40 session blocks the 09:00 slot and, on an hourly grid, 09:40 is off-grid.
    assert "2026-03-09T09:00:00-04:00" not in tms1_monday
    assert "2026-03-09T10:00:00-04:00" in tms1_monday
    assert len(tms1_monday) == 9


def test_cancelled_sessions_do_not_block_slots(site, scheduler, patient, api_as):
    tms1 = Resource.objects.get(site=site, name="TMS 1")
    course = make_course(patient=patient, booked_by=scheduler)
    make_session(
        course=course,
        start=local(site, "2026-03-09", "09:00"),
        resources=[tms1],
        status=Session.Status.CANCELLED,
    )

    body = availability(api_as(scheduler), site, start="2026-03-09", end="2026-03-09").json()

    tms1_row = next(r for r in body["resources"] if r["resource_name"] == "TMS 1")
    assert "2026-03-09T09:00:00-04:00" in starts(tms1_row)


def test_closures_and_public_holidays_have_no_slots(site, scheduler, api_as):
    Closure.objects.create(site=site, date=dt.date(2026, 2, 17), reason="training")

    # Mon 16 Feb 2026 is Presidents' Day (US), Tue 17 the closure, Wed 18 open.
    body = availability(api_as(scheduler), site, start="2026-02-16", end="2026-02-18").json()

    for row in body["resources"]:
        assert {s["start_local"][:10] for s in row["slots"]} == {"2026-02-18"}


def test_only_active_resources_of_the_kind_are_listed(site, scheduler, api_as):
    Resource.objects.filter(site=site, name="Spravato 2").update(active=False)

    body = availability(
        api_as(scheduler), site, kind="monitoring_chair", start="2026-03-09", end="2026-03-09"
    ).json()

    assert [r["resource_name"] for r in body["resources"]] == ["Spravato 1"]


def test_no_slots_before_now(site, scheduler, api_as):
    with time_machine.travel(local(site, "2026-03-09", "16:30"), tick=False):
        body = availability(api_as(scheduler), site, start="2026-03-09", end="2026-03-09").json()

    assert starts(body["resources"][0]) == ["2026-03-09T17:00:00-04:00"]


def test_default_step_is_15_minutes(site, scheduler, api_as):
    response = api_as(scheduler).get(
        "availability",
        site_id=site.pk,
        kind="tms_chair",
        start="2026-03-09",
        end="2026-03-09",
        minutes=60,
    )
    body = response.json()
    assert body["step"] == 15
    assert starts(body["resources"][0])[:2] == [
        "2026-03-09T08:00:00-04:00",
        "2026-03-09T08:15:00-04:00",
    ]
    assert len(body["resources"][0]["slots"]) == 37  # 08:00 .. 17:00


@pytest.mark.parametrize("persona", STAFF)
def test_each_staff_role_can_search_availability(persona, site, api_as, request):
    client = api_as(request.getfixturevalue(persona))
    assert availability(client, site, start="2026-03-09", end="2026-03-09").status_code == 200


def test_outsider_gets_404_for_another_sites_availability(site, outsider, api_as):
    response = availability(api_as(outsider), site, start="2026-03-09", end="2026-03-09")
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


def test_user_without_a_staff_role_gets_403_on_availability(site, api_as):
    client = api_as(make_user("rory", None, site))
    response = availability(client, site, start="2026-03-09", end="2026-03-09")
    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"


def test_anonymous_gets_401_on_availability(site, api_as):
    response = availability(api_as(None), site, start="2026-03-09", end="2026-03-09")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "status", "code", "mentions"),
    [
        ({"start": "2026-03-01", "end": "2026-04-01"}, 422, "range_too_long", "32 days"),
        ({"start": "2026-03-10", "end": "2026-03-09"}, 422, "invalid_range", "end"),
        ({"kind": "sofa"}, 422, "unknown_kind", "tms_chair"),
        ({"minutes": 0}, 422, "invalid_minutes", "minutes"),
        ({"minutes": 721}, 422, "invalid_minutes", "minutes"),
        ({"step": 1}, 422, "invalid_step", "step"),
        ({"start": "2026-3-9"}, 422, "invalid", "start"),
        ({"end": "tomorrow"}, 422, "invalid", "end"),
        ({"minutes": "an hour"}, 422, "invalid", "minutes"),
        ({"site_id": 999999}, 404, "site_not_found", "site"),
    ],
)
def test_bad_availability_requests_get_a_code_and_message(
    params, status, code, mentions, site, scheduler, api_as
):
    query = {"start": "2026-03-09", "end": "2026-03-09", **params}
    response = availability(api_as(scheduler), site, **query)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert mentions in response.json()["message"]


def test_31_days_is_allowed(site, scheduler, api_as):
    response = availability(api_as(scheduler), site, start="2026-03-01", end="2026-03-31")
    assert response.status_code == 200


def test_fourteen_busy_days_answer_fast_in_a_constant_number_of_queries(site, scheduler, api_as):
    """About 1,000 holds over 14 days (10 chairs, 10 sessions a day each, 30 minutes apart):
    one query loads them all, and the answer comes back well within an interactive budget."""
    chairs = [
        Resource.objects.create(site=site, kind="tms_chair", name=f"Bench chair {i}")
        for i in range(10)
    ]
    days = [dt.date(2026, 3, 2) + dt.timedelta(days=d) for d in range(14)]
    slots = [
        (chair, local(site, day.isoformat(), "08:00") + dt.timedelta(minutes=60 * k), 30)
        for chair in chairs
        for day in days
        if day.weekday() < 5
        for k in range(10)
    ]
    bulk_sessions(site=site, booked_by=scheduler, slots=slots)
    assert len(slots) == 1000
    client = api_as(scheduler)
    params = {"start": "2026-03-02", "end": "2026-03-15", "minutes": 30, "step": 15}
    availability(client, site, **params)

    began = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        response = availability(client, site, **params)
    elapsed = time.perf_counter() - began

    assert response.status_code == 200
    rows = {r["resource_name"]: r["slots"] for r in response.json()["resources"]}
    # A busy chair holds 08:00-08:30, 09:00-09:30 ... 17:00-17:30, which leaves the half hours
    # from 08:30 to 17:30: 10 a day on 10 open days.
    assert len(rows["Bench chair 0"]) == 100
    assert rows["Bench chair 0"][0]["start_local"] == "2026-03-02T08:30:00-05:00"
    assert len(rows["TMS 1"]) == 10 * 39  # free chair: 08:00 .. 17:30 every 15 minutes
    assert len(ctx.captured_queries) <= 10
    print(f"\navailability, 14 days, 12 chairs, 1000 holds: {elapsed * 1000:.1f} ms")
    assert elapsed < 2.0
