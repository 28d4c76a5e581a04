"""A calendar day at the API edge is written YYYY-MM-DD: a number is not a day.

Found by the live fuzz run (scripts/live_fuzz.sh): `GET .../run-sheet.pdf?date=0` answered 200
with the run sheet of 1970-01-01, because pydantic reads numbers as Unix timestamps.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("bad", ["0", "1700000000", "2026-1-5", "26-01-05", "2026-01-05T00:00"])
def test_a_day_that_is_not_yyyy_mm_dd_is_refused(bad, api_as, scheduler, site):
    response = api_as(scheduler).get(f"charting/sites/{site.pk}/run-sheet.pdf?date={bad}")
    assert response.status_code == 422, (bad, response.status_code)
    assert response.json()["code"] == "invalid"
    assert "YYYY-MM-DD" in response.json()["message"]


def test_a_proper_day_still_works(api_as, scheduler, site):
    response = api_as(scheduler).get(f"charting/sites/{site.pk}/run-sheet.pdf?date=2026-03-02")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("param", ["start_from", "start_to"])
@pytest.mark.parametrize("bad", ["0", "1700000000", "2026-1-5"])
def test_course_list_start_bounds_are_days_not_numbers(param, bad, api_as, scheduler):
    response = api_as(scheduler).get(f"courses?{param}={bad}")
    assert response.status_code == 422, (param, bad, response.status_code)
    assert "YYYY-MM-DD" in response.json()["message"]


def test_course_list_start_bounds_take_proper_days(api_as, scheduler):
    response = api_as(scheduler).get("courses?start_from=2026-01-01&start_to=2026-12-31")
    assert response.status_code == 200


@pytest.mark.parametrize("bad", [0, 1700000000, "0"])
def test_a_reschedule_time_is_not_a_timestamp(bad, api_as, scheduler):
    # `"to": 0` was 1970-01-01T00:00Z and reached the scheduler (409, not 422).
    response = api_as(scheduler).post("sessions/1/reschedule", {"to": bad})
    assert response.status_code == 422
    assert "to: " in response.json()["message"]
