"""Who sees what: the patient's endpoints answer only their own link token and only for their
own courses; schedulers see due status but not answers; clinicians decide reviews."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from charting.daily_checkin import daily_checkin_save
from charting.models import Alert, DailyCheckIn
from charting.patient_settings import course_checkin_set
from charting.self_report import self_report_submit
from clinic.errors import Conflict, InvalidInput
from clinic.models import Patient
from tests.charting.self_report_support import (
    complete,
    day_of,
    patient_token,
    phq9,
    tms_course,
)


@pytest.fixture
def course(patient, scheduler):
    return tms_course(patient, scheduler)


def _get(client, path, token):
    return client.get(f"/api/v1/patient{path}", headers={"X-Patient-Token": token})


def test_patient_endpoints_need_the_patients_own_link_token(
    course, client, patient, api_as, clinician
):
    own = patient_token(patient)
    companion = patient_token(patient, kind="companion")
    other = Patient.objects.create(
        site=patient.site,
        mrn="MRN-002",
        given_name="Ola",
        family_name="Other",
        date_of_birth=dt.date(1970, 1, 1),
    )
    other_token = patient_token(other)
    path = f"/courses/{course.pk}"
    assert _get(client, path, own).status_code == 200
    assert _get(client, path, companion).status_code == 401  # a driver's link is not enough
    assert _get(client, path, "icf_" + "x" * 40).status_code == 401
    assert client.get(f"/api/v1/patient{path}").status_code == 401
    # Another patient's token: that course is not theirs, and it looks like it does not exist.
    response = _get(client, path, other_token)
    assert response.status_code == 404 and response.json()["code"] == "course_not_found"
    # Staff credentials do not open the patient's API.
    assert api_as(clinician).get(f"patient{path}").status_code == 401


def test_scheduler_sees_due_status_but_not_answers(course, api_as, scheduler, nurse, clinician):
    self_report_submit(
        course=course,
        scale="phq9",
        session_number=1,
        answers=phq9(9, item9=1),
        now=day_of(course, 1, "07:00"),
    )
    sam = api_as(scheduler)
    due = sam.get(f"charting/courses/{course.pk}/self-reports/due")
    assert due.status_code == 200
    assert "answers" not in due.json()[0]
    assert sam.get(f"charting/courses/{course.pk}/self-reports").status_code == 403
    assert sam.get(f"charting/courses/{course.pk}/trajectory").status_code == 403
    assert sam.get(f"charting/courses/{course.pk}/checkins").status_code == 403
    # The patient's safety alert (it quotes an answer) is not in the scheduler's queue.
    assert sam.get("charting/alerts").json() == []
    for reader in (nurse, clinician):
        rows = api_as(reader).get(f"charting/courses/{course.pk}/self-reports").json()
        assert rows[0]["answers"]["item9"] == 1 and rows[0]["source"] == "patient"
    alerts = api_as(clinician).get("charting/alerts").json()
    assert [a["kind"] for a in alerts] == ["safety"]


def test_other_sites_staff_see_nothing(course, api_as, outsider):
    assert api_as(outsider).get(f"charting/courses/{course.pk}/self-reports/due").status_code == 404


def test_clinician_decides_the_review_nurse_may_not(course, api_as, nurse, clinician):
    complete(course, 10, by=nurse)
    for number, total in ((1, 20), (10, 18)):
        self_report_submit(
            course=course,
            scale="phq9",
            session_number=number,
            answers=phq9(total),
            now=day_of(course, number),
        )
    reviews = api_as(clinician).get("charting/early-reviews").json()
    assert len(reviews) == 1 and reviews[0]["improvement_percent"] == 10.0
    review_id = reviews[0]["id"]
    path = f"charting/early-reviews/{review_id}/decision"
    body = {"decision": "change_protocol_or_target", "note": "Switch to iTBS, re-map target."}
    assert api_as(nurse).post(path, body).status_code == 403
    assert api_as(clinician).post(path, {"decision": "continue", "note": " "}).json()["code"] == (
        "note_required"
    )
    decided = api_as(clinician).post(path, body)
    assert decided.status_code == 200
    out = decided.json()
    assert out["status"] == "decided" and out["decided_by"] == "carl"
    assert out["next_step"] == "book_new_course"
    # Nothing in the schedule changed: every session after the review is still booked.
    later = course.sessions.filter(number__gt=10)
    assert later.filter(status="scheduled").count() == later.count() > 0
    again = api_as(clinician).post(path, body)
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    trajectory = api_as(clinician).get(f"charting/courses/{course.pk}/trajectory").json()
    assert trajectory["early_review"]["decision"] == "change_protocol_or_target"
    assert [s["rater"] for s in trajectory["series"]] == ["self"]


# --- daily check-in ------------------------------------------------------------------------


def test_checkin_is_off_until_turned_on_and_one_per_day_with_history(
    course, clinician, client, patient
):
    now = day_of(course, 2, "20:00")
    with pytest.raises(Conflict):
        daily_checkin_save(course=course, mood=5, sleep_hours=7, side_effects={}, now=now)
    course_checkin_set(course=course, enabled=True, by=clinician)
    daily_checkin_save(course=course, mood=5, sleep_hours=7, side_effects={}, now=now)
    row, raised = daily_checkin_save(
        course=course,
        mood=3,
        sleep_hours=5.5,
        side_effects={"headache": "severe"},
        note="bad",
        now=now + dt.timedelta(hours=1),
    )
    assert DailyCheckIn.objects.filter(course=course).count() == 1
    assert row.mood == 3 and row.history.count() == 2
    assert [a.kind for a in raised] == ["side_effect"]
    # Saving again the same day raises no second alert for the same side effect.
    _, again = daily_checkin_save(
        course=course,
        mood=3,
        sleep_hours=5.5,
        side_effects={"headache": "severe"},
        now=now + dt.timedelta(hours=2),
    )
    assert again == [] and Alert.objects.filter(kind="side_effect").count() == 1


def test_checkin_refuses_side_effects_not_on_the_protocols_list(course, clinician, client, patient):
    course_checkin_set(course=course, enabled=True, by=clinician)
    token = patient_token(patient)
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        response = client.put(
            f"/api/v1/patient/courses/{course.pk}/checkins/today",
            {"mood": 4, "sleep_hours": 6, "side_effects": {"dissociation": "mild"}},
            content_type="application/json",
            headers={"X-Patient-Token": token},
        )
    assert response.status_code == 422 and response.json()["code"] == "unknown_side_effect"
    assert not DailyCheckIn.objects.exists()


def test_patient_csv_holds_their_own_data_only(course, client, patient, clinician):
    course_checkin_set(course=course, enabled=True, by=clinician)
    self_report_submit(
        course=course,
        scale="phq9",
        session_number=1,
        answers=phq9(11),
        now=day_of(course, 1, "07:00"),
    )
    daily_checkin_save(
        course=course,
        mood=6,
        sleep_hours=7,
        side_effects={},
        note="=cmd()",
        now=day_of(course, 1, "20:00"),
    )
    response = client.get(
        f"/api/v1/patient/courses/{course.pk}/export.csv",
        headers={"X-Patient-Token": patient_token(patient)},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert "PHQ-9" in text and ",11,moderate," in text and "'=cmd()" in text
    assert patient.mrn not in text


# --- strict values (found by fuzzing; clinic/api/fields.py) ---------------------------------


def _checkin(client, course, token, body):
    return client.put(
        f"/api/v1/patient/courses/{course.pk}/checkins/today",
        body,
        content_type="application/json",
        headers={"X-Patient-Token": token},
    )


@pytest.mark.parametrize(
    "body",
    [
        {"mood": True, "sleep_hours": 7},
        {"mood": "7", "sleep_hours": 7},
        {"mood": 7.0, "sleep_hours": 7},
        {"mood": 5, "sleep_hours": "7"},
        {"mood": 5, "sleep_hours": True},
        {"mood": 5, "sleep_hours": 24.05},
        {"mood": 5, "sleep_hours": 24.1},
        {"mood": 5, "sleep_hours": 6.55},
        {"mood": 5, "sleep_hours": -0.1},
        {"mood": 5, "sleep_hours": "NaN"},
        {"mood": 5, "sleep_hours": "Infinity"},
        {"mood": 5, "sleep_hours": "-inf"},
    ],
)
def test_a_checkin_value_of_another_type_or_past_its_range_is_refused(
    course, clinician, client, patient, body
):
    course_checkin_set(course=course, enabled=True, by=clinician)
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        response = _checkin(client, course, patient_token(patient), body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert not DailyCheckIn.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_bare_nan_or_infinity_in_json_is_refused(course, clinician, client, patient, literal):
    # Python's json module reads these non-JSON tokens as floats.
    course_checkin_set(course=course, enabled=True, by=clinician)
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        response = _checkin(
            client, course, patient_token(patient), f'{{"mood": 5, "sleep_hours": {literal}}}'
        )
    assert response.status_code == 422, response.content
    assert "finite" in response.json()["message"]
    assert not DailyCheckIn.objects.exists()


def test_a_proper_checkin_is_stored_as_sent(course, clinician, client, patient):
    course_checkin_set(course=course, enabled=True, by=clinician)
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        response = _checkin(client, course, patient_token(patient), {"mood": 0, "sleep_hours": 24})
    assert response.status_code == 200, response.content
    row = DailyCheckIn.objects.get()
    assert (row.mood, float(row.sleep_hours)) == (0, 24.0)


@pytest.mark.parametrize("value", [True, "1", 1.0])
def test_a_self_report_answer_of_another_type_is_refused(course, client, patient, value):
    with time_machine.travel(day_of(course, 1, "07:00"), tick=False):
        response = client.put(
            f"/api/v1/patient/courses/{course.pk}/self-reports/phq9/1/answers/item1",
            {"value": value},
            content_type="application/json",
            headers={"X-Patient-Token": patient_token(patient)},
        )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "hours", ["NaN", "nan", "Infinity", "-Infinity", "sNaN", "24.05", 24.05, "6.55"]
)
def test_the_checkin_service_refuses_sleep_hours_that_are_not_finite_or_past_the_range(
    course, clinician, hours
):
    # The patient page passes the form's text straight to the service: "NaN" reached Decimal
    # comparisons (InvalidOperation, a 500), and 24.05 was rounded to 24.0 and stored.
    course_checkin_set(course=course, enabled=True, by=clinician)
    with pytest.raises(InvalidInput) as refused:
        daily_checkin_save(
            course=course,
            mood=5,
            sleep_hours=hours,
            side_effects={},
            now=day_of(course, 2, "20:00"),
        )
    assert refused.value.code == "invalid_value"
    assert not DailyCheckIn.objects.exists()
