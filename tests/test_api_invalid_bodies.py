"""Invalid bodies never change data: every write operation of the OpenAPI document, sent each
invalid body below, answers 4xx in the one error shape and leaves every row of every table as
it was (row counts and a hash of all rows compared before and after).

The objects named in paths are real (tests/test_api_fuzz.py's World: a course with a started
esketamine session, its screening, observation record, alert and monitoring form), so a body
that slipped through would reach a service and change something.
"""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from clinic.api.fields import MAX_ID
from config.root_api import api
from tests.charting.self_report_support import patient_token
from tests.test_api_fuzz import World

WRITES = {"post", "put", "patch", "delete"}
DOCUMENT = api.get_openapi_schema()
OPERATIONS = [
    (method.upper(), path)
    for path, methods in DOCUMENT["paths"].items()
    for method in methods
    if method in WRITES
]

JSON = "application/json"
# (label, body bytes, content type, expected status)
INVALID: list[tuple[str, bytes, str, int]] = [
    ("number", b"-5", JSON, 422),
    ("big number", b"12345", JSON, 422),
    ("null", b"null", JSON, 422),
    ("array", b"[1,2]", JSON, 422),
    ("true", b"true", JSON, 422),
    ("string", b'"x"', JSON, 422),
    ("misspelt field", b'{"versoin": 1}', JSON, 422),
    ("misspelt reason", b'{"reasn": "x"}', JSON, 422),
    ("boolean ids", b'{"site_id": true, "patient_id": true, "version": 1}', JSON, 422),
    ("id past range", b'{"site_id": %d}' % (MAX_ID + 1), JSON, 422),
    ("not json", b"{nope", JSON, 400),
    ("not utf-8", b'{"reason": "\xff\xfe"}', JSON, 400),
    ("latin-1 charset", b'{"reason": "x"}', f"{JSON}; charset=latin-1", 415),
    ("text/plain", b'{"version": 1}', "text/plain", 415),
    ("xml", b"<version>1</version>", "application/xml", 415),
    ("form", b"version=1&reason=x", "application/x-www-form-urlencoded", 415),
    (
        "multipart",
        b'--B\r\nContent-Disposition: form-data; name="version"\r\n\r\n1\r\n--B--\r\n',
        "multipart/form-data; boundary=B",
        415,
    ),
    # Django's multipart parser raised on a missing boundary before any API check ran: a 500
    # under DEBUG, Django's HTML 400 otherwise.
    ("multipart without boundary", b"--B\r\n\r\n1\r\n--B--\r\n", "multipart/form-data", 415),
    ("multipart, empty boundary", b"x", "multipart/form-data; boundary=", 415),
]


def _table_fingerprint() -> dict[str, tuple[int, str]]:
    """Per table: row count and a hash of every row (ordered by primary key)."""
    out = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model._meta.managed:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            pk_column = model._meta.pk.column if model._meta.pk else None
            assert pk_column is not None
            pk = connection.ops.quote_name(pk_column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")
            rows = cursor.fetchall()
            out[model._meta.db_table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def _path(world: World, method: str, path: str) -> str:
    names = re.findall(r"\{(\w+)\}", path)
    # The fuzz World fills path parameters from an operation's names and path.
    operation = SimpleNamespace(path=path, path_parameters=[SimpleNamespace(name=n) for n in names])
    values = world.path_parameters(operation)
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


@pytest.fixture
def world_client(site, admin_user, patient) -> tuple[World, Client]:
    world = World(site, admin_user, patient)
    # Staff operations take the admin's token; the patient's own ones (/patient/...) their
    # link token.
    client = Client(headers={**world.headers, "X-Patient-Token": patient_token(patient)})
    # Token management takes the session login only (a token cannot mint tokens).
    client.force_login(admin_user)
    # The token's last-use time is written at most once a minute: write it now, not mid-test.
    assert client.get("/api/v1/me").status_code == 200
    return world, client


def test_every_write_operation_is_covered():
    assert len(OPERATIONS) > 20
    assert ("POST", "/api/v1/protocols/{slug}/retire") in OPERATIONS
    assert ("POST", "/api/v1/sessions/{session_id}/no_show") in OPERATIONS


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_invalid_bodies_change_nothing(method, path, world_client):
    world, client = world_client
    url = _path(world, method, path)
    before = _table_fingerprint()
    wrong: list[Any] = []
    for label, body, content_type, expected in INVALID:
        response = client.generic(method, url, body, content_type=content_type)
        payload = response.json() if response.get("Content-Type", "").startswith(JSON) else None
        shaped = isinstance(payload, dict) and payload.get("code") and payload.get("message")
        if response.status_code != expected or not shaped:
            wrong.append((label, response.status_code, payload or response.content[:80]))
    assert _table_fingerprint() == before, f"{method} {path} changed data"
    assert wrong == [], f"{method} {path}"
