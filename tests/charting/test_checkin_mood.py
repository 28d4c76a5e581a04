"""The daily check-in has no default mood (issue 15 point 10): the page preselects nothing,
the API requires it, and a record without a mood is never charted as one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from charting.models import DailyCheckIn
from charting.patient_settings import course_checkin_set
from charting.selectors.patient_reports import course_trajectory
from tests.charting.self_report_support import day_of, patient_token, tms_course


@pytest.fixture
def course(patient, scheduler, clinician):
    course = tms_course(patient, scheduler)
    course_checkin_set(course=course, enabled=True, by=clinician)
    return course


@pytest.fixture
def token(patient):
    return patient_token(patient)


def test_checkin_page_preselects_no_mood(course, token, client):
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        html = client.get(f"/p/{token}/reports/{course.pk}/checkin/").content.decode()
    # A select always submits its first option (0, "the worst"); radios with none checked
    # submit nothing until the patient chooses.
    assert '<select id="mood"' not in html
    moods = re.findall(r'<input[^>]*name="mood"[^>]*>', html)
    assert len(moods) == 11
    assert all("checked" not in tag for tag in moods)
    assert all("required" in tag for tag in moods[:1])


def test_checkin_page_without_a_mood_stores_nothing(course, token, client):
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        response = client.post(
            f"/p/{token}/reports/{course.pk}/checkin/", {"sleep_hours": "7", "fx-headache": "none"}
        )
    assert response.status_code == 422
    assert "mood" in response.content.decode().lower()
    assert not DailyCheckIn.objects.exists()


def test_checkin_api_requires_a_mood(course, token, client):
    with time_machine.travel(day_of(course, 2, "20:00"), tick=False):
        response = client.put(
            f"/api/v1/patient/courses/{course.pk}/checkins/today",
            {"sleep_hours": 7},
            content_type="application/json",
            headers={"X-Patient-Token": token},
        )
    assert response.status_code == 422
    assert not DailyCheckIn.objects.exists()


def test_a_checkin_with_no_mood_is_not_charted(course, token, client, api_as, nurse):
    day = day_of(course, 2, "20:00")
    for offset, mood in ((0, None), (1, 6)):
        DailyCheckIn.objects.create(
            course=course,
            site_id=course.site_id,
            patient_id=course.patient_id,
            day=day.date() + dt.timedelta(days=offset),
            mood=mood,
            sleep_hours=7,
            submitted_at=day,
            updated_at=day,
        )
    trajectory = course_trajectory(course=course)
    assert [(p.day, p.mood) for p in trajectory.mood] == [(day.date() + dt.timedelta(days=1), 6)]
    with time_machine.travel(day + dt.timedelta(days=1), tick=False):
        staff = api_as(nurse).get(f"charting/courses/{course.pk}/trajectory").json()
        own = client.get(
            f"/api/v1/patient/courses/{course.pk}/trajectory", headers={"X-Patient-Token": token}
        ).json()
        listed = api_as(nurse).get(f"charting/courses/{course.pk}/checkins").json()
    assert [p["mood"] for p in staff["mood"]] == [6]
    assert [p["mood"] for p in own["mood"]] == [6]
    assert [c["mood"] for c in listed] == [None, 6]
