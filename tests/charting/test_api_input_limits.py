"""Charting endpoints refuse text, ids and instants they cannot store or work with: 422.

Found by fuzzing the API (tests/test_api_fuzz.py): an alert filter id past 64 bits could not be
bound by SQLite (500), a NUL byte in a template slug reached a PostgreSQL lookup (500), and an
unpaired surrogate in JSON answers could not be encoded for either database.
"""

from __future__ import annotations

import json

import pytest

from charting.models import ScreeningResponse
from charting.observations import observation_open
from clinic.api.fields import MAX_ID
from tests.charting.helpers import safe_answers


@pytest.mark.parametrize("field", ["session_id", "course_id"])
def test_alert_filter_id_past_64_bits_is_422(nurse, api_as, field):
    response = api_as(nurse).get("charting/alerts", **{field: MAX_ID + 1})
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}: ")


def test_template_slug_with_nul_is_422(nurse, api_as):
    response = api_as(nurse).get("charting/templates/tms%00post")
    assert response.status_code == 422
    assert response.json()["message"].startswith("slug: ")


def test_screening_answers_with_an_unpaired_surrogate_are_422_and_not_saved(esk, nurse, api_as):
    _, session = esk
    answers = {**safe_answers("esketamine-pre-dose"), "notes": "\ud800"}
    # Sent as raw JSON: the escape decodes to a lone surrogate no database can store.
    raw = json.dumps({"answers": answers})
    client = api_as(nurse)
    response = client.client.post(
        f"/api/v1/charting/sessions/{session.pk}/screening",
        raw,
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code == 422
    assert "surrogates" in response.json()["message"]
    assert not ScreeningResponse.objects.exists()


def test_an_anchor_time_past_the_last_day_is_422_and_leaves_the_record(esk, nurse, api_as):
    _, session = esk
    record = observation_open(session=session, by=nurse, now=session.start)
    assert record is not None  # the protocol has an observation form
    anchor_before = (record.anchor_at, record.anchor_recorded)
    response = api_as(nurse).post(
        f"charting/observations/{record.pk}/anchor", {"at": "9999-12-31T23:59:59-14:00"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == "at: must be between 1900-01-01 and 2999-12-31"
    record.refresh_from_db()
    assert (record.anchor_at, record.anchor_recorded) == anchor_before
