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
