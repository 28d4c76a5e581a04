"""Every field of every operation takes its own type and nothing that merely converts to it.

Found by fuzzing: `?start_from=0` on /courses was read as 1970-01-01 (a number is a Unix
timestamp to pydantic), `rems_enrolled: 0` was false, and on the patient API `mood: true` was
stored as 1, `sleep_hours: "7"` as 7 and `true` or `"1"` as a self-report answer of 1. A JSON
body gives each value its type, so a body field is strict (clinic/api/fields.py `InSchema`);
query parameters arrive as text, so a query day is YYYY-MM-DD and a query id is digits (the
types in clinic/api/fields.py), never a number read as a timestamp.

The cases below are drawn from the OpenAPI document, so a new operation or field is covered the
day it is added. Each sends one wrong value in one field and expects a 422 naming that field.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from config.root_api import api
from tests.charting.self_report_support import patient_token
from tests.test_api_fuzz import World

DOCUMENT = api.get_openapi_schema()
COMPONENTS = DOCUMENT.get("components", {}).get("schemas", {})

# Per JSON type (or string format): values that a lax parser would convert into that type.
COERCIBLE: dict[str, list[Any]] = {
    "integer": ["7", True, 7.0],
    "boolean": [0, 1, "true", "false"],
    "number": ["7", True, "NaN", "Infinity"],
    "date": [0, 1700000000, "0", "2026-1-5"],
    "date-time": [0, 1700000000, "0", "2026-03-09"],
}
QUERY_COERCIBLE: dict[str, list[str]] = {
    "integer": ["true", "7.0", "1e3"],
    "date": ["0", "1700000000", "2026-1-5"],
    "date-time": ["0", "1700000000"],
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return _resolve(options[0]) if len(options) == 1 else schema


def _kind(schema: dict[str, Any]) -> str | None:
    schema = _resolve(schema)
    if schema.get("type") == "string":
        return schema.get("format") if schema.get("format") in ("date", "date-time") else None
    return schema.get("type") if schema.get("type") in ("integer", "boolean", "number") else None


def _cases() -> list[tuple[str, str, str, str, Any]]:
    """(method, path, where, field, value) for every typed field of every operation."""
    cases = []
    for path, methods in DOCUMENT["paths"].items():
        for method, definition in methods.items():
            for parameter in definition.get("parameters", []):
                kind = _kind(parameter.get("schema", {}))
                if parameter.get("in") == "query" and kind in QUERY_COERCIBLE:
                    for value in QUERY_COERCIBLE[kind]:
                        cases.append((method, path, "query", parameter["name"], value))
            body = definition.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            for name, prop in _resolve(body["schema"]).get("properties", {}).items():
                kind = _kind(prop)
                for value in COERCIBLE.get(kind or "", []):
                    cases.append((method, path, "body", name, value))
    return cases


CASES = _cases()


def _path(world: World, path: str) -> str:
    names = re.findall(r"\{(\w+)\}", path)
    operation = SimpleNamespace(path=path, path_parameters=[SimpleNamespace(name=n) for n in names])
    values = world.path_parameters(operation)
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


@pytest.fixture
def world_client(site, admin_user, patient) -> tuple[World, Client]:
    world = World(site, admin_user, patient)
    client = Client(headers={**world.headers, "X-Patient-Token": patient_token(patient)})
    client.force_login(admin_user)
    return world, client


def test_the_document_has_cases_of_every_kind():
    kinds = {(where, type(value).__name__) for _, _, where, _, value in CASES}
    assert {("query", "str"), ("body", "str"), ("body", "int"), ("body", "bool")} <= kinds
    fields = {(path, name) for _, path, _, name, _ in CASES}
    assert ("/api/v1/courses", "start_from") in fields
    assert ("/api/v1/courses", "start_to") in fields
    assert ("/api/v1/patients", "rems_enrolled") in fields
    assert ("/api/v1/patient/courses/{course_id}/checkins/today", "sleep_hours") in fields


def test_every_field_refuses_values_of_another_type(world_client):
    world, client = world_client
    accepted = []
    for method, path, where, name, value in CASES:
        url = _path(world, path)
        if where == "query":
            response = client.generic(method.upper(), url, QUERY_STRING=f"{name}={value}")
        else:
            response = client.generic(
                method.upper(), url, json.dumps({name: value}), content_type="application/json"
            )
        message = response.json().get("message", "") if response.status_code == 422 else ""
        if response.status_code != 422 or f"{name}: " not in message:
            accepted.append((method.upper(), path, name, value, response.status_code, message))
    assert accepted == [], "\n".join(map(str, accepted))
