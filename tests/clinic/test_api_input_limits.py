"""Input the database or the calendar cannot take is a 422 with a clear message, never a 500.

Each case here was a 500 found by fuzzing the API (tests/test_api_fuzz.py, schemathesis): NUL
characters (PostgreSQL refuses them in text and jsonb), unpaired UTF-16 surrogates (no UTF-8
encoding, so neither database takes them) and ids past 64 bits (SQLite cannot bind them).
"""

from __future__ import annotations

import json

import pytest

from clinic.api.fields import MAX_ID, unstorable_text
from clinic.models import Patient


def new_patient(site, **overrides):
    return {
        "site_id": site.pk,
        "mrn": "MRN-900",
        "given_name": "Grace",
        "family_name": "Hopper",
        "date_of_birth": "1956-12-09",
        **overrides,
    }


def test_unstorable_text_names_the_first_bad_string_and_where_it_is():
    assert unstorable_text({"a": ["ok", {"b": "x\x00y"}]}) == (
        "text must not contain NUL (\\u0000) characters (in a[1].b)"
    )
    assert unstorable_text({"k\ud800": 1}) == "text must not contain unpaired UTF-16 surrogates"
    # A surrogate pair decoded from JSON is an ordinary character outside the BMP.
    assert unstorable_text({"emoji": json.loads('"\\ud83d\\ude00"'), "n": 1, "f": None}) is None


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("mrn", "MRN\x00900", "NUL"),
        ("address", "1 Main St\x00", "NUL"),
        ("given_name", "\ud800", "surrogates"),
    ],
)
def test_register_with_unstorable_text_is_422_and_writes_nothing(
    api_as, scheduler, site, field, value, problem
):
    response = api_as(scheduler).post("patients", new_patient(site, **{field: value}))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert problem in body["message"] and field in body["message"]
    assert not Patient.objects.exists()


def test_update_with_nul_is_422_and_leaves_the_record(api_as, scheduler, patient):
    response = api_as(scheduler).patch(f"patients/{patient.pk}", {"family_name": "X\x00"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    patient.refresh_from_db()
    assert patient.family_name == "Example"


def test_search_with_nul_is_422(api_as, scheduler, patient):
    response = api_as(scheduler).post("patients/search", {"q": "Ex\x00"})
    assert response.status_code == 422
    assert "NUL" in response.json()["message"]


@pytest.mark.parametrize("site_id", [MAX_ID + 1, 2**70])
def test_a_site_id_past_64_bits_is_422_not_a_database_error(api_as, scheduler, site, site_id):
    response = api_as(scheduler).get("patients", site_id=site_id)
    assert response.status_code == 422
    assert response.json()["message"].startswith("site_id:")


def test_the_largest_64_bit_id_is_simply_not_found(api_as, scheduler, site):
    response = api_as(scheduler).get("patients", site_id=MAX_ID)
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"
