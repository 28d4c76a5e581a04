"""Course list and detail: GET /api/v1/courses and /api/v1/courses/{id}."""

import datetime as dt
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import Resource
from scheduling.models import Course, Session
from tests.support.clock import local
from tests.support.factories import (
    ESKETAMINE_SPEC,
    make_course,
    make_patient,
    make_protocol,
    make_session,
    make_user,
)

STAFF = ["scheduler", "nurse", "clinician", "admin_user"]


def tms_chair(site):
    return Resource.objects.get(site=site, name="TMS 1")


_courses_made = count()


def course_with_sessions(site, booked_by, n, *, patient=None, start_date=dt.date(2026, 3, 2)):
    """A course of `n` daily sessions on TMS 1; each call an hour later in the day, so that
    courses never hold the chair at the same time (PostgreSQL forbids it)."""
    patient = patient or make_patient(site)
    course = make_course(patient=patient, booked_by=booked_by, start_date=start_date)
    first = local(site, start_date.isoformat(), "09:00") + dt.timedelta(hours=next(_courses_made))
    for i in range(n):
        make_session(
            course=course,
            start=first + dt.timedelta(days=i),
            resources=[tms_chair(site)],
            number=i + 1,
            status=Session.Status.COMPLETED if i == 0 else Session.Status.SCHEDULED,
        )
    return course


# List -----------------------------------------------------------------------------------------


def test_list_shows_courses_of_my_sites_with_session_counts(site, other_site, scheduler, api_as):
    mine = course_with_sessions(site, scheduler, 3)
    make_session(
        course=mine,
        start=mine.sessions.get(number=3).start + dt.timedelta(days=1),
        resources=[tms_chair(site)],
        status=Session.Status.CANCELLED,
    )
    course_with_sessions(other_site, scheduler, 2)

    response = api_as(scheduler).get("courses")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["id"] == mine.pk
    assert item["sessions_total"] == 3  # the cancelled fourth is not counted
    assert item["sessions_done"] == 1
    first = mine.sessions.get(number=1).start
    assert dt.datetime.fromisoformat(item["first_start"]) == first
    assert dt.datetime.fromisoformat(item["last_start"]) == first + dt.timedelta(days=2)
    assert item["patient_name"] == mine.patient.full_name
    assert item["mrn"] == mine.patient.mrn
    assert item["protocol_name"] == "Test tms protocol"
    assert item["protocol_version"] == 1
    assert set(item) == {
        "id",
        "site_id",
        "patient_id",
        "patient_name",
        "mrn",
        "protocol_id",
        "protocol_name",
        "protocol_version",
        "modality",
        "status",
        "start_date",
        "preferred_time",
        "sessions_total",
        "sessions_done",
        "first_start",
        "last_start",
    }


def test_list_filters_by_patient_status_modality_and_start_range(site, scheduler, api_as):
    ann = make_patient(site, given="Ann", family="Smith")
    bob = make_patient(site, given="Bob", family="Jones")
    early = make_course(patient=ann, booked_by=scheduler, start_date=dt.date(2026, 1, 5))
    late = make_course(
        patient=ann,
        booked_by=scheduler,
        start_date=dt.date(2026, 4, 6),
        status=Course.Status.PLANNED,
    )
    esk = make_course(
        patient=bob,
        booked_by=scheduler,
        protocol=make_protocol(ESKETAMINE_SPEC),
        start_date=dt.date(2026, 3, 2),
    )
    client = api_as(scheduler)

    def ids(**params):
        response = client.get("courses", **params)
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["items"]]

    assert ids() == [late.pk, esk.pk, early.pk]
    assert ids(patient_id=ann.pk) == [late.pk, early.pk]
    assert ids(status="planned") == [late.pk]
    assert ids(modality="esketamine") == [esk.pk]
    assert ids(start_from="2026-03-01") == [late.pk, esk.pk]
    assert ids(start_from="2026-01-05", start_to="2026-03-02") == [esk.pk, early.pk]
    assert ids(site_id=site.pk, modality="tms", status="active") == [early.pk]


def test_list_is_paginated_and_a_page_past_the_end_is_an_error(site, scheduler, api_as):
    for day in range(5):
        make_course(
            patient=make_patient(site), booked_by=scheduler, start_date=dt.date(2026, 3, 2 + day)
        )
    client = api_as(scheduler)

    page3 = client.get("courses", page=3, page_size=2).json()
    past = client.get("courses", page=4, page_size=2)

    assert (page3["count"], page3["pages"], page3["page"], len(page3["items"])) == (5, 3, 3, 1)
    assert page3["items"][0]["start_date"] == "2026-03-02"
    assert past.status_code == 422
    assert past.json()["code"] == "page_out_of_range"
    assert "last page (3)" in past.json()["message"]


def test_an_empty_list_is_one_empty_page(site, scheduler, api_as):
    body = api_as(scheduler).get("courses").json()
    assert (body["items"], body["count"], body["pages"]) == ([], 0, 1)


@pytest.mark.parametrize(
    ("params", "code", "mentions"),
    [
        ({"page_size": 1000}, "invalid", "page_size"),
        ({"page": 0}, "invalid", "page"),
        ({"status": "paused"}, "invalid", "status"),
        ({"modality": "rtms"}, "invalid", "modality"),
        ({"start_from": "2026-02-31"}, "invalid", "start_from"),
        ({"start_from": "2026-03-10", "start_to": "2026-03-01"}, "invalid_range", "start_to"),
    ],
)
def test_bad_list_filters_get_422_with_a_code(params, code, mentions, site, scheduler, api_as):
    response = api_as(scheduler).get("courses", **params)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert mentions in response.json()["message"]


def test_list_query_count_does_not_grow_with_courses(site, scheduler, api_as):
    client = api_as(scheduler)
    for _ in range(2):
        course_with_sessions(site, scheduler, 2)
    client.get("courses")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("courses").json()["items"]) == 2
    for _ in range(18):
        course_with_sessions(site, scheduler, 2)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("courses").json()["items"]) == 20

    assert len(many.captured_queries) == len(few.captured_queries) <= 8


def test_outsider_lists_none_of_our_courses_and_cannot_filter_by_our_site(
    site, scheduler, outsider, api_as
):
    course_with_sessions(site, scheduler, 1)
    client = api_as(outsider)

    assert client.get("courses").json()["count"] == 0
    response = client.get("courses", site_id=site.pk)
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


# Detail ---------------------------------------------------------------------------------------


def test_detail_has_every_session_with_local_times_and_held_resources(
    site, scheduler, clinician, api_as
):
    patient = make_patient(site, given="Maria", family="Lopez")
    course = make_course(
        patient=patient,
        booked_by=scheduler,
        prescriber=clinician,
        protocol=make_protocol(ESKETAMINE_SPEC),
    )
    spravato = Resource.objects.get(site=site, name="Spravato 2")
    # Two sessions either side of the DST change: the same 09:00 local, different UTC hours.
    for number, day in ((2, "2026-03-09"), (1, "2026-03-05")):
        make_session(
            course=course,
            start=local(site, day, "09:00"),
            minutes=30,
            observation_minutes=120,
            resources=[spravato],
            observation_resources=[spravato],
            number=number,
            phase="induction",
        )

    response = api_as(scheduler).get(f"courses/{course.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "America/New_York"
    assert body["prescriber"] == "carl"
    assert body["booked_by"] == "sam"
    assert body["modality"] == "esketamine"
    assert body["sessions_total"] == 2
    assert [s["number"] for s in body["sessions"]] == [1, 2]
    assert [s["start"] for s in body["sessions"]] == [
        "2026-03-05T14:00:00Z",
        "2026-03-09T13:00:00Z",
    ]
    assert [s["start_local"][11:] for s in body["sessions"]] == [
        "09:00:00-05:00",
        "09:00:00-04:00",
    ]
    holds = body["sessions"][0]["holds"]
    assert [(h["resource_name"], h["kind"], h["part"]) for h in holds] == [
        ("Spravato 2", "monitoring_chair", "procedure"),
        ("Spravato 2", "monitoring_chair", "observation"),
    ]
    assert holds[1]["end_local"] == "2026-03-05T11:30:00-05:00"


def test_detail_query_count_does_not_grow_with_sessions(site, scheduler, api_as):
    client = api_as(scheduler)
    short = course_with_sessions(site, scheduler, 2)
    long = course_with_sessions(site, scheduler, 30, start_date=dt.date(2026, 6, 1))
    client.get(f"courses/{short.pk}")

    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"courses/{short.pk}").json()["sessions"]) == 2
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"courses/{long.pk}").json()["sessions"]) == 30

    assert len(many.captured_queries) == len(few.captured_queries) <= 8


@pytest.mark.parametrize("persona", STAFF)
def test_each_staff_role_reads_courses(persona, site, scheduler, api_as, request):
    course = course_with_sessions(site, scheduler, 1)
    client = api_as(request.getfixturevalue(persona))

    assert client.get("courses").status_code == 200
    assert client.get(f"courses/{course.pk}").status_code == 200


def test_outsider_gets_404_for_our_course(site, scheduler, outsider, api_as):
    course = course_with_sessions(site, scheduler, 1)
    response = api_as(outsider).get(f"courses/{course.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "course_not_found"


def test_unknown_course_is_404(site, scheduler, api_as):
    response = api_as(scheduler).get("courses/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "course_not_found"


def test_user_without_a_staff_role_gets_403_on_courses(site, scheduler, api_as):
    course = course_with_sessions(site, scheduler, 1)
    client = api_as(make_user("rory", None, site))
    for path in ("courses", f"courses/{course.pk}"):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "role_forbidden"


def test_anonymous_gets_401_on_courses(site, scheduler, api_as):
    course = course_with_sessions(site, scheduler, 1)
    for path in ("courses", f"courses/{course.pk}"):
        response = api_as(None).get(path)
        assert response.status_code == 401
