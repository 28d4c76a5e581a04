"""Protocol endpoints refuse slugs, days and text they cannot work with: 422, never 500.

Found by fuzzing the API (tests/test_api_fuzz.py): a NUL byte in a path slug reached a
PostgreSQL lookup (ValueError, 500), and previewing a course from 9999-12-30 overflowed the
date arithmetic (OverflowError, 500).
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from protocols.models import Protocol


@pytest.fixture
def library(db) -> None:
    call_command("load_protocols", stdout=io.StringIO())


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "protocols/tms%00itbs"),
        ("get", "protocols/tms%00itbs/versions"),
        ("post", "protocols/tms%00itbs/retire"),
        ("post", "protocols/tms%00itbs/validate"),
        ("get", "protocols/TMS-ITBS"),
    ],
)
def test_a_slug_that_cannot_exist_is_422_naming_the_rule(library, clinician, api_as, method, path):
    client = api_as(clinician)
    response = client.get(path) if method == "get" else client.post(path, {"spec": {}})
    assert response.status_code == 422
    assert response.json()["message"].startswith("slug: String should match pattern")
    assert not Protocol.objects.filter(retired_at__isnull=False).exists()


def test_a_well_formed_unknown_slug_is_still_404(library, clinician, api_as):
    response = api_as(clinician).get("protocols/no-such")
    assert response.status_code == 404


@pytest.mark.parametrize("start_date", ["9999-12-30", "0001-01-01"])
def test_preview_from_a_day_out_of_range_is_422(library, site, clinician, api_as, start_date):
    body = {"site_id": site.pk, "start_date": start_date, "preferred_time": "09:00"}
    response = api_as(clinician).post("protocols/tms-itbs/preview", body)
    assert response.status_code == 422
    assert response.json()["message"].startswith("start_date: ")


def test_creating_a_protocol_with_nul_in_its_name_is_422_and_saves_nothing(
    library, clinician, api_as
):
    before = Protocol.objects.count()
    spec = Protocol.objects.get(slug="tms-itbs").spec
    body = {"slug": "clinic-tms", "name": "Clinic\x00TMS", "spec": spec}
    response = api_as(clinician).post("protocols", body)
    assert response.status_code == 422
    assert response.json()["message"] == (
        "request: text must not contain NUL (\\u0000) characters (in name)"
    )
    assert Protocol.objects.count() == before
