"""Days, instants, ids and text the scheduler cannot work with are a 422, never a 500.

Each case was a 500 found by fuzzing the API (tests/test_api_fuzz.py): planning from a day near
9999-12-31 ran past the last date Python has (OverflowError, "year 10002 is out of range"), ids
past 64 bits could not be bound by SQLite, PostgreSQL refused NUL in a closure reason, and the
OpenAPI document described local times with the `time` format, which requires a UTC offset the
answers ("09:00:00") rightly do not have.
"""

from __future__ import annotations

import re

import pytest
import time_machine

from clinic.api.fields import LAST_DAY, MAX_ID
from clinic.models import Closure
from scheduling.models import Course, ResourceHold, Session
from tests.scheduling.booking_support import MONDAY, NOW, TMS_10
from tests.support.factories import make_patient, make_protocol


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def enrol_body(patient, **kw):
    return {
        "patient_id": patient.pk,
        "protocol": "tms",
        "site_id": patient.site_id,
        "start_date": MONDAY.isoformat(),
        "preferred_time": "09:00",
        **kw,
    }


def nothing_booked() -> bool:
    return not (
        Course.objects.exists() or Session.objects.exists() or ResourceHold.objects.exists()
    )


@pytest.mark.parametrize("start_date", ["9999-12-30", "3000-01-01", "0001-01-01"])
def test_enrolling_from_a_day_out_of_range_is_422_and_books_nothing(
    site, scheduler, api_as, start_date
):
    make_protocol(TMS_10, "tms")
    patient = make_patient(site, "MRN-9")
    response = api_as(scheduler).post("courses", enrol_body(patient, start_date=start_date))
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": response.json()["message"],
    }
    assert response.json()["message"].startswith("start_date: ")
    assert nothing_booked()


def test_the_last_day_in_range_still_plans(site, scheduler, api_as):
    make_protocol(TMS_10, "tms")
    patient = make_patient(site, "MRN-9")
    body = enrol_body(patient, start_date=LAST_DAY.isoformat(), dry_run=True)
    response = api_as(scheduler).post("courses", body)
    assert response.status_code == 200, response.json()
    assert len(response.json()["sessions"]) == 10


@pytest.mark.parametrize("field", ["patient_id", "site_id", "prescriber_id"])
def test_ids_past_64_bits_are_422(site, scheduler, api_as, field):
    make_protocol(TMS_10, "tms")
    patient = make_patient(site, "MRN-9")
    response = api_as(scheduler).post("courses", enrol_body(patient, **{field: MAX_ID + 1}))
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}: ")
    assert nothing_booked()


def test_nul_in_the_protocol_slug_is_422(site, scheduler, api_as):
    make_protocol(TMS_10, "tms")
    patient = make_patient(site, "MRN-9")
    response = api_as(scheduler).post("courses", enrol_body(patient, protocol="tms\x00"))
    assert response.status_code == 422
    assert "NUL" in response.json()["message"]
    assert nothing_booked()


def test_rescheduling_past_the_last_day_is_422_and_moves_nothing(site, scheduler, api_as):
    make_protocol(TMS_10, "tms")
    patient = make_patient(site, "MRN-9")
    client = api_as(scheduler)
    course_id = client.post("courses", enrol_body(patient)).json()["id"]
    first = Session.objects.filter(course_id=course_id).order_by("number").first()
    assert first is not None
    response = client.post(f"sessions/{first.pk}/reschedule", {"to": "9999-12-31T23:00:00+00:00"})
    assert response.status_code == 422
    assert response.json()["message"] == "to: must be between 1900-01-01 and 2999-12-31"
    assert Session.objects.get(pk=first.pk).start == first.start


@pytest.mark.parametrize(
    "body, message",
    [
        ({"date": "9999-12-31", "reason": "flood", "dry_run": True}, "date: "),
        ({"date": "2026-03-03", "reason": "flood\x00"}, "request: "),
    ],
)
def test_closing_a_day_with_bad_input_is_422_and_writes_nothing(
    site, scheduler, api_as, body, message
):
    response = api_as(scheduler).post(f"sites/{site.pk}/closures", body)
    assert response.status_code == 422
    assert response.json()["message"].startswith(message)
    assert not Closure.objects.exists()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date": "9999-12-31"}, "date"),
        ({"date": "2026-03-02", "resource_id": MAX_ID + 1}, "resource_id"),
    ],
)
def test_board_with_a_day_or_id_out_of_range_is_422(site, scheduler, api_as, params, field):
    response = api_as(scheduler).get("board", site_id=site.pk, **params)
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}: ")


@pytest.mark.parametrize("field", ["site_id", "patient_id"])
def test_course_list_filter_past_64_bits_is_422(site, scheduler, api_as, field):
    response = api_as(scheduler).get("courses", **{field: MAX_ID + 1})
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}: ")


def test_local_times_are_described_without_the_offset_requiring_time_format(
    site, scheduler, api_as
):
    schema = api_as(scheduler).get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("CourseOut", "CourseDetailOut", "PreviewOut", "PreviewIn"):
        field = schema[name]["properties"]["preferred_time"]
        assert "format" not in field, name
        assert re.fullmatch(field["pattern"], "09:00:00"), name
        assert re.fullmatch(field["pattern"], "09:00"), name
        assert not re.fullmatch(field["pattern"], "09:00:00Z"), name


def test_a_booked_course_answers_its_preferred_time_in_the_described_shape(site, scheduler, api_as):
    make_protocol(TMS_10, "tms")
    patient = make_patient(site, "MRN-9")
    client = api_as(scheduler)
    course_id = client.post("courses", enrol_body(patient)).json()["id"]
    pattern = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["CourseDetailOut"][
        "properties"
    ]["preferred_time"]["pattern"]
    assert re.fullmatch(pattern, client.get(f"courses/{course_id}").json()["preferred_time"])
