"""Time-sane session actions: check-in opens a set time before the session's start on its own
day (site local) and closes at its end; outside it the check-in is refused with the window in
the message, and only a clinician may override it, with a reason the history records."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling.check_in_window import check_in_window
from scheduling.models import Session
from tests.support.clock import local
from tests.support.factories import make_course, make_session

NY = ZoneInfo("America/New_York")


@pytest.fixture
def session(site, scheduler, patient):
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    # Monday 9 March 2026, 10:00-10:45 local (the built-in 10 Hz protocol books 45 minutes);
    # the window is checked before the screening gates.
    return make_session(course=course, start=local(site, "2026-03-09", "10:00"))


@pytest.mark.parametrize(
    ("day", "hhmm"),
    [
        ("2026-03-02", "10:00"),  # a week early
        ("2026-03-09", "07:59"),  # same day, more than 120 minutes early
        ("2026-03-09", "10:46"),  # after the session's end (10:45)
        ("2030-03-09", "10:00"),  # years later
    ],
)
def test_check_in_outside_the_window_is_refused_with_the_window(
    site, nurse, session, api_as, time_machine, day, hhmm
):
    time_machine.move_to(local(site, day, hhmm), tick=False)
    response = api_as(nurse).post(f"sessions/{session.pk}/check_in")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "outside_check_in_window"
    assert "Monday 09 March 2026, 08:00 to 10:45 (America/New_York)" in body["message"]
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED
    # Nor can it be started: start needs a check-in.
    assert api_as(nurse).post(f"sessions/{session.pk}/start").status_code == 409


def test_a_session_booked_for_2030_cannot_be_checked_in_today(
    site, nurse, scheduler, patient, api_as, time_machine
):
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    later = make_session(course=course, start=local(site, "2030-06-03", "09:00"))
    time_machine.move_to(local(site, "2026-03-09", "09:00"), tick=False)
    response = api_as(nurse).post(f"sessions/{later.pk}/check_in")
    assert response.status_code == 409
    assert response.json()["code"] == "outside_check_in_window"


@pytest.mark.parametrize("hhmm", ["08:00", "09:55", "10:45"])
def test_check_in_within_the_window_passes_the_window(
    site, nurse, session, api_as, time_machine, hhmm
):
    time_machine.move_to(local(site, "2026-03-09", hhmm), tick=False)
    response = api_as(nurse).post(f"sessions/{session.pk}/check_in")
    # The window lets it through; the TMS course screening gate is what answers now.
    assert response.json().get("code") != "outside_check_in_window", response.json()


def test_only_a_clinician_overrides_the_window_and_the_reason_is_recorded(
    site, nurse, clinician, session, api_as, time_machine, settings
):
    session.course.protocol.spec["forms"] = {}
    session.course.protocol.save()
    time_machine.move_to(local(site, "2026-03-09", "07:30"), tick=False)
    reason = "arrived early: hospital transport"
    by_nurse = api_as(nurse).post(f"sessions/{session.pk}/check_in", {"override_reason": reason})
    assert by_nurse.status_code == 403
    by_clinician = api_as(clinician).post(
        f"sessions/{session.pk}/check_in", {"override_reason": reason}
    )
    assert by_clinician.status_code == 200, by_clinician.json()
    session.refresh_from_db()
    assert session.status == Session.Status.CHECKED_IN
    latest = session.history.order_by("-history_id").first()
    assert reason in latest.history_change_reason
    assert latest.history_user == clinician


def test_the_window_opens_at_local_midnight_at_most_and_keeps_local_time_across_dst():
    # Sunday 8 March 2026: New York springs forward at 02:00.
    start = dt.datetime(2026, 3, 8, 1, 30, tzinfo=NY).astimezone(dt.UTC)
    window = check_in_window(
        start=start, end=start + dt.timedelta(minutes=40), zone=NY, minutes_before=120
    )
    assert window.opens.astimezone(NY) == dt.datetime(2026, 3, 8, 0, 0, tzinfo=NY)
    nine = dt.datetime(2026, 3, 8, 9, 0, tzinfo=NY).astimezone(dt.UTC)
    later = check_in_window(start=nine, end=nine, zone=NY, minutes_before=120)
    assert later.opens.astimezone(NY).time() == dt.time(7, 0)
