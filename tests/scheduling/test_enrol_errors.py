"""Bad enrolment input: a 4xx with a stable code and a clear message, and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.models import Patient, Resource
from protocols.models import Protocol
from scheduling.models import Course, ResourceHold, Session
from tests.scheduling.booking_support import ESK, MONDAY, NOW, TMS_10
from tests.support.factories import make_patient, make_protocol, make_user


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def body(patient, **kw):
    data = {
        "patient_id": patient.pk,
        "protocol": "tms",
        "site_id": patient.site_id,
        "start_date": MONDAY.isoformat(),
        "preferred_time": "09:00",
    }
    data.update(kw)
    return data


def assert_nothing_written():
    assert Course.objects.count() == 0
    assert Session.objects.count() == 0
    assert ResourceHold.objects.count() == 0


def test_enrol_through_the_api_returns_the_booked_course(site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms")
    response = api_as(scheduler).post("courses", body(patient))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"] == Course.objects.get().pk
    assert data["protocol_slug"] == "tms" and data["protocol_version"] == 1
    assert len(data["sessions"]) == 10
    first = data["sessions"][0]
    assert first["start"].startswith("2026-03-02T14:00:00")
    assert first["holds"][0]["kind"] == "tms_chair" and first["holds"][0]["part"] == "procedure"
    assert first["status"] == "scheduled" and first["sequence"] == 0


def test_dry_run_through_the_api_returns_200_and_writes_nothing(site, clinician, patient, api_as):
    make_protocol(TMS_10, "tms")
    response = api_as(clinician).post("courses", body(patient, dry_run=True))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] is None and len(data["sessions"]) == 10
    assert data["sessions"][0]["id"] is None and data["sessions"][0]["holds"]
    assert_nothing_written()


def test_latest_active_version_is_used_unless_one_is_named(site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms", version=1)
    make_protocol(
        {**TMS_10, "phases": [{"name": "a", "sessions": 3, "sessions_per_week": 5}]},
        "tms",
        version=2,
    )
    make_protocol(TMS_10, "tms", version=3, status=Protocol.Status.DRAFT)
    response = api_as(scheduler).post("courses", body(patient))
    assert response.json()["protocol_version"] == 2 and len(response.json()["sessions"]) == 3


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"patient_id": 999999}, 404, "patient_not_found"),
        ({"protocol": "no-such-protocol"}, 404, "protocol_not_found"),
        ({"version": 7}, 404, "protocol_not_found"),
        ({"start_date": "2026-02-26"}, 422, "start_in_past"),
        ({"preferred_time": "07:00"}, 422, "outside_opening_hours"),
        ({"preferred_time": "17:30"}, 422, "outside_opening_hours"),
        ({"preferred_time": "9am"}, 422, "invalid"),
        ({"start_date": "2026-02-30"}, 422, "invalid"),
        ({"patient_id": "abc"}, 422, "invalid"),
    ],
)
def test_bad_enrolment_input_is_refused_with_a_stable_code(
    site, scheduler, patient, api_as, change, status, code
):
    make_protocol(TMS_10, "tms")
    response = api_as(scheduler).post("courses", body(patient, **change))
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert_nothing_written()


def test_retired_protocol_is_refused(site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms", status=Protocol.Status.RETIRED)
    response = api_as(scheduler).post("courses", body(patient))
    assert (response.status_code, response.json()["code"]) == (422, "protocol_retired")
    assert_nothing_written()


def test_patient_of_another_site_is_refused(site, other_site, scheduler, api_as):
    other_site.staff.add(scheduler)  # sees both sites, so the patient is not hidden
    stranger = make_patient(other_site, "MRN-H1")
    make_protocol(TMS_10, "tms")
    response = api_as(scheduler).post("courses", body(stranger, site_id=site.pk))
    assert (response.status_code, response.json()["code"]) == (422, "patient_not_at_site")
    assert_nothing_written()


def test_a_site_the_user_does_not_belong_to_is_not_found(
    site, other_site, scheduler, patient, api_as
):
    make_protocol(TMS_10, "tms")
    response = api_as(scheduler).post("courses", body(patient, site_id=other_site.pk))
    assert (response.status_code, response.json()["code"]) == (404, "site_not_found")
    assert_nothing_written()


def test_another_sites_user_cannot_see_the_patient(site, outsider, patient, api_as):
    make_protocol(TMS_10, "tms")
    response = api_as(outsider).post("courses", body(patient))
    assert (response.status_code, response.json()["code"]) == (404, "patient_not_found")
    assert_nothing_written()


def test_nurse_may_not_book(site, nurse, patient, api_as):
    make_protocol(TMS_10, "tms")
    response = api_as(nurse).post("courses", body(patient))
    assert (response.status_code, response.json()["code"]) == (403, "role_forbidden")
    assert_nothing_written()


def test_overlapping_course_of_the_same_modality_is_refused(site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms")
    client = api_as(scheduler)
    first = client.post("courses", body(patient))
    assert first.status_code == 201
    response = client.post("courses", body(patient, start_date="2026-03-09"))
    assert (response.status_code, response.json()["code"]) == (409, "overlapping_course")
    assert str(first.json()["id"]) in response.json()["message"]
    assert Course.objects.count() == 1 and Session.objects.count() == 10


def test_a_different_modality_may_run_alongside_at_another_time(site, scheduler, patient, api_as):
    site.rems_certified = True
    site.save()
    make_protocol(TMS_10, "tms")
    make_protocol(ESK, "esk")
    client = api_as(scheduler)
    assert client.post("courses", body(patient)).status_code == 201
    response = client.post("courses", body(patient, protocol="esk", preferred_time="11:00"))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("rems_patient", "rems_site", "code"),
    [(False, True, "rems_patient_not_enrolled"), (True, False, "rems_site_not_certified")],
)
def test_esketamine_needs_rems_enrolment_and_certification(
    site, clinician, api_as, rems_patient, rems_site, code
):
    site.rems_certified = rems_site
    site.save()
    person = make_patient(site, "MRN-R1", rems=rems_patient)
    make_protocol(ESK, "esk")
    response = api_as(clinician).post("courses", body(person, protocol="esk"))
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert "REMS" in response.json()["message"]
    assert_nothing_written()


def test_today_with_the_preferred_time_gone_books_later_today(site, scheduler, api_as):
    # 15:00 UTC on Friday 27 Feb is 10:00 in New York: 09:00 has passed, 10:00 is free.
    make_protocol(TMS_10, "tms")
    person = make_patient(site, "MRN-T1")
    response = api_as(scheduler).post("courses", body(person, start_date="2026-02-27"))
    assert response.status_code == 201, response.content
    first = response.json()["sessions"][0]["start"]
    assert dt.datetime.fromisoformat(first) >= NOW
    assert Patient.objects.count() == 1


def test_admin_without_site_membership_cannot_book_elsewhere(other_site, patient, api_as):
    admin = make_user("root-ish", "admin", None)
    make_protocol(TMS_10, "tms")
    response = api_as(admin).post("courses", body(patient))
    assert (response.status_code, response.json()["code"]) == (404, "patient_not_found")


def test_pinned_resource_is_used_for_every_session(site, scheduler, patient, api_as):
    make_protocol(TMS_10, "tms")
    chair = Resource.objects.get(site=site, name="TMS 2")
    response = api_as(scheduler).post("courses", body(patient, resource_ids=[chair.pk]))
    assert response.status_code == 201, response.content
    assert {h["resource_id"] for s in response.json()["sessions"] for h in s["holds"]} == {chair.pk}


@pytest.mark.parametrize(
    ("which", "code"),
    [("other_site", "resource_not_at_site"), ("wrong_kind", "resource_not_usable")],
)
def test_a_resource_of_another_site_or_kind_is_refused(
    site, other_site, scheduler, patient, api_as, which, code
):
    make_protocol(TMS_10, "tms")
    if which == "other_site":
        resource = Resource.objects.filter(site=other_site, kind="tms_chair").first()
    else:
        resource = Resource.objects.filter(site=site, kind="ect_suite").first()
    assert resource is not None
    response = api_as(scheduler).post("courses", body(patient, resource_ids=[resource.pk]))
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert_nothing_written()


def test_prescriber_must_be_a_clinician_of_the_site(
    site, scheduler, clinician, nurse, patient, api_as
):
    make_protocol(TMS_10, "tms")
    client = api_as(scheduler)
    for bad in (nurse.pk, 999999):
        response = client.post("courses", body(patient, prescriber_id=bad))
        assert (response.status_code, response.json()["code"]) == (422, "prescriber_invalid")
    assert_nothing_written()
    response = client.post("courses", body(patient, prescriber_id=clinician.pk))
    assert response.status_code == 201
    assert Course.objects.get().prescriber == clinician


@pytest.mark.parametrize("value", ["25:00", "09:00+02:00", "9am"])
def test_bad_preferred_time_is_explained_in_words(site, scheduler, patient, api_as, value):
    make_protocol(TMS_10, "tms")
    response = api_as(scheduler).post("courses", body(patient, preferred_time=value))
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "preferred_time: must be a local time as HH:MM from 00:00 to 23:59, "
        "without a UTC offset",
    }
    assert_nothing_written()
