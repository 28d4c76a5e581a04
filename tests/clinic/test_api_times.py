"""Every instant in an answer is UTC written with Z (docs/api/README.md, "Times"); only fields
named `*_local` carry the site's offset, on purpose. A refusal that names a time rounds it up
to the minute, so it never names a minute that has already begun ("before 16:08" at 16:08:56).

Found by fuzzing: the anchor and scale answers echoed the offset the request was sent with.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from clinic.api.rendering import utc_instants
from clinic.clock import ceil_minute, utc_iso
from tests.charting.self_report_support import patient_token
from tests.test_api_fuzz import World

NEW_YORK = ZoneInfo("America/New_York")
INSTANT_WITH_OFFSET = re.compile(r'"(\w+)": "(\d{4}-\d{2}-\d{2}T[^"]*?(?:[+-]\d{2}:\d{2}))"')


def test_instants_are_turned_to_utc_and_local_fields_kept():
    at = dt.datetime(2026, 3, 9, 9, 10, tzinfo=NEW_YORK)
    data = {"at": at, "start_local": at, "items": [{"when": at}], "day": dt.date(2026, 3, 9)}
    out = utc_instants(data)
    assert out["at"] == at and out["at"].utcoffset() == dt.timedelta(0)
    assert out["start_local"] is at
    assert out["items"][0]["when"].tzinfo == dt.UTC
    assert out["day"] == dt.date(2026, 3, 9)


def test_utc_iso_writes_z():
    at = dt.datetime(2026, 3, 9, 9, 10, 5, tzinfo=NEW_YORK)
    assert utc_iso(at) == "2026-03-09T13:10:05Z"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("16:08:00", "16:08:00"),
        ("16:08:00.000001", "16:09:00"),
        ("16:08:56", "16:09:00"),
        ("23:59:30", "00:00:00"),
    ],
)
def test_ceil_minute(when, expected):
    at = dt.datetime.combine(dt.date(2026, 3, 9), dt.time.fromisoformat(when), tzinfo=dt.UTC)
    assert ceil_minute(at).time() == dt.time.fromisoformat(expected)


def test_answers_to_writes_sent_with_an_offset_are_utc(site, admin_user, patient):
    world = World(site, admin_user, patient)
    client = Client(headers={**world.headers, "X-Patient-Token": patient_token(patient)})
    at = "2026-03-09T09:10:00-04:00"
    writes = [
        (f"/api/v1/charting/observations/{world.ids['record_id']}/anchor", {"at": at}),
        (
            f"/api/v1/charting/courses/{world.ids['course_id']}/scales",
            {
                "scale": "phq9",
                "items": {f"item{i}": 0 for i in range(1, 10)},
                "administered_at": at,
            },
        ),
    ]
    for url, body in writes:
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 201), response.content
        text = response.content.decode()
        echoed = [(k, v) for k, v in INSTANT_WITH_OFFSET.findall(text) if not k.endswith("_local")]
        assert echoed == [], url
        assert "2026-03-09T13:10:00Z" in text
