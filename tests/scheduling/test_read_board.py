"""The day board: GET /api/v1/board?site_id=&date=&resource_id="""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import Resource
from scheduling.models import Session
from tests.support.clock import local
from tests.support.factories import (
    ESKETAMINE_SPEC,
    bulk_sessions,
    make_course,
    make_patient,
    make_protocol,
    make_session,
    make_user,
)

STAFF = ["scheduler", "nurse", "clinician", "admin_user"]


def chair(site, name="TMS 1"):
    return Resource.objects.get(site=site, name=name)


def board(client, site, day, **extra):
    return client.get("board", site_id=site.pk, date=day, **extra)


def test_board_shows_the_local_day_on_a_dst_day(site, scheduler, patient, api_as):
    course = make_course(patient=patient, booked_by=scheduler)
    tms1 = chair(site)
    # 2026-03-08: New York springs forward at 02:00, so the local day is 23 hours long.
    times = {
        "before": local(site, "2026-03-07", "23:30"),
        "first": local(site, "2026-03-08", "00:30"),
        "last": local(site, "2026-03-08", "23:20"),
        "after": local(site, "2026-03-09", "00:30"),
    }
    ids = {
        key: make_session(course=course, start=start, resources=[tms1]).pk
        for key, start in times.items()
    }

    response = board(api_as(scheduler), site, "2026-03-08")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["date"] == "2026-03-08"
    assert body["timezone"] == "America/New_York"
    assert [s["id"] for s in body["sessions"]] == [ids["first"], ids["last"]]
    first, last = body["sessions"]
    assert first["start_local"] == "2026-03-08T00:30:00-05:00"
    assert first["start"] == "2026-03-08T05:30:00Z"
    assert last["start_local"] == "2026-03-08T23:20:00-04:00"
    assert last["start"] == "2026-03-09T03:20:00Z"


def test_board_row_has_patient_phase_status_and_held_resources(site, scheduler, api_as):
    patient = make_patient(site, given="Maria", family="Lopez", mrn="MRN-777")
    course = make_course(
        patient=patient, booked_by=scheduler, protocol=make_protocol(ESKETAMINE_SPEC)
    )
    spravato = chair(site, "Spravato 1")
    start = local(site, "2026-03-10", "09:00")
    session = make_session(
        course=course,
        start=start,
        minutes=30,
        observation_minutes=120,
        resources=[spravato],
        observation_resources=[spravato],
        number=3,
        phase="induction",
        status=Session.Status.CHECKED_IN,
    )

    body = board(api_as(scheduler), site, "2026-03-10").json()

    (row,) = body["sessions"]
    assert row["id"] == session.pk
    assert row["course_id"] == course.pk
    assert row["patient_id"] == patient.pk
    assert row["patient_name"] == "Maria Lopez"
    assert row["mrn"] == "MRN-777"
    assert row["modality"] == "esketamine"
    assert row["phase"] == "induction"
    assert row["number"] == 3
    assert row["status"] == "checked_in"
    assert row["start_local"] == "2026-03-10T09:00:00-04:00"
    assert row["end_local"] == "2026-03-10T09:30:00-04:00"
    assert row["observation_end_local"] == "2026-03-10T11:30:00-04:00"
    assert [
        (h["resource_name"], h["part"], h["start_local"], h["end_local"]) for h in row["holds"]
    ] == [
        ("Spravato 1", "procedure", "2026-03-10T09:00:00-04:00", "2026-03-10T09:30:00-04:00"),
        ("Spravato 1", "observation", "2026-03-10T09:30:00-04:00", "2026-03-10T11:30:00-04:00"),
    ]
    assert set(row) == {
        "id",
        "course_id",
        "patient_id",
        "patient_name",
        "mrn",
        "modality",
        "protocol_name",
        "phase",
        "phase_index",
        "number",
        "status",
        "status_reason",
        "sequence",
        "start",
        "end",
        "observation_end",
        "start_local",
        "end_local",
        "observation_end_local",
        "holds",
    }


def test_board_for_one_resource_lists_only_sessions_holding_it(site, scheduler, patient, api_as):
    course = make_course(patient=patient, booked_by=scheduler)
    on_one = make_session(
        course=course, start=local(site, "2026-03-10", "09:00"), resources=[chair(site, "TMS 1")]
    )
    make_session(
        course=course, start=local(site, "2026-03-10", "11:00"), resources=[chair(site, "TMS 2")]
    )

    response = board(api_as(scheduler), site, "2026-03-10", resource_id=chair(site).pk)

    assert response.status_code == 200
    assert response.json()["resource_id"] == chair(site).pk
    assert [s["id"] for s in response.json()["sessions"]] == [on_one.pk]


def test_board_lists_cancelled_sessions_with_their_status(site, scheduler, patient, api_as):
    course = make_course(patient=patient, booked_by=scheduler)
    make_session(
        course=course,
        start=local(site, "2026-03-10", "09:00"),
        resources=[chair(site)],
        status=Session.Status.CANCELLED,
    )

    rows = board(api_as(scheduler), site, "2026-03-10").json()["sessions"]

    assert [r["status"] for r in rows] == ["cancelled"]


def test_board_does_not_show_another_sites_sessions(site, other_site, scheduler, api_as):
    theirs = make_patient(other_site)
    course = make_course(patient=theirs, booked_by=scheduler)
    make_session(
        course=course,
        start=local(other_site, "2026-03-10", "09:00"),
        resources=[chair(other_site)],
    )

    body = board(api_as(scheduler), site, "2026-03-10").json()

    assert body["sessions"] == []


def _day_of_sessions(site, scheduler, n_chairs, per_chair):
    chairs = [
        Resource.objects.create(site=site, kind="tms_chair", name=f"Board chair {i}")
        for i in range(n_chairs)
    ]
    slots = [
        (c, local(site, "2026-03-10", "08:00") + dt.timedelta(minutes=30 * k), 30)
        for c in chairs
        for k in range(per_chair)
    ]
    return bulk_sessions(site=site, booked_by=scheduler, slots=slots)


def _board_queries(client, site):
    board(client, site, "2026-03-10")  # warm up: the token's first use is recorded
    with CaptureQueriesContext(connection) as ctx:
        response = board(client, site, "2026-03-10")
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["sessions"])


def test_board_of_200_sessions_takes_at_most_10_queries(
    site, scheduler, api_as, django_assert_max_num_queries
):
    _day_of_sessions(site, scheduler, n_chairs=20, per_chair=10)
    client = api_as(scheduler)
    board(client, site, "2026-03-10")

    with django_assert_max_num_queries(10):
        response = board(client, site, "2026-03-10")

    rows = response.json()["sessions"]
    assert len(rows) == 200
    assert all(len(r["holds"]) == 1 and r["patient_name"] for r in rows)


def test_board_query_count_does_not_grow_with_sessions(site, other_site, scheduler, api_as):
    _day_of_sessions(site, scheduler, n_chairs=20, per_chair=10)
    admin = make_user("root", "admin", None)
    site.staff.add(admin)
    other_site.staff.add(admin)
    _day_of_sessions(other_site, admin, n_chairs=1, per_chair=5)
    client = api_as(admin)

    big, big_rows = _board_queries(client, site)
    small, small_rows = _board_queries(client, other_site)

    assert (big_rows, small_rows) == (200, 5)
    assert big == small


@pytest.mark.parametrize("persona", STAFF)
def test_each_staff_role_at_the_site_can_read_the_board(persona, site, api_as, request):
    user = request.getfixturevalue(persona)
    assert board(api_as(user), site, "2026-03-10").status_code == 200


def test_outsider_gets_404_for_another_sites_board(site, outsider, api_as):
    response = board(api_as(outsider), site, "2026-03-10")
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


def test_user_without_a_staff_role_gets_403(site, api_as):
    nobody = make_user("rory", None, site)
    response = board(api_as(nobody), site, "2026-03-10")
    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"


def test_anonymous_gets_401(site, api_as):
    response = board(api_as(None), site, "2026-03-10")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("params", "status", "code", "mentions"),
    [
        ({"date": "2026-02-30"}, 422, "invalid", "date"),
        ({"date": "10/03/2026"}, 422, "invalid", "date"),
        ({"date": None}, 422, "invalid", "date"),
        ({"site_id": "riverside"}, 422, "invalid", "site_id"),
        ({"site_id": 999999}, 404, "site_not_found", "site"),
        ({"resource_id": 999999}, 404, "resource_not_found", "resource"),
    ],
)
def test_bad_board_requests_get_a_code_and_message(
    params, status, code, mentions, site, scheduler, api_as
):
    query = {"site_id": site.pk, "date": "2026-03-10", **params}
    query = {k: v for k, v in query.items() if v is not None}

    response = api_as(scheduler).get("board", **query)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert mentions in response.json()["message"].lower()


def test_resource_of_another_site_is_not_found(site, other_site, scheduler, api_as):
    response = board(api_as(scheduler), site, "2026-03-10", resource_id=chair(other_site).pk)
    assert response.status_code == 404
    assert response.json()["code"] == "resource_not_found"
