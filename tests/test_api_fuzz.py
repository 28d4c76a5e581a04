"""Fuzz every operation of the OpenAPI document, in process, as an admin of the test site.

For each operation schemathesis draws requests from the published schema, both valid ones
(positive) and ones that break it (negative: wrong types, out-of-range numbers, missing fields,
odd strings), and sends them through Django's WSGI application. Every answer must:

- never be a 5xx, have a status the document declares for the operation, and match the
  response schema the document declares for that status;
- when it is a 4xx, be JSON `{"code", "message"}` (strings);
- when it is a 4xx to a write, leave the database as it was (no partial write): the row count of
  every table, history tables included (which grow on every update of a tracked row), is compared
  before and after.

Path parameters point at real objects (a course with a started esketamine session, its
screening, observation record, alert and REMS monitoring form), so the drawn bodies reach the
services instead of stopping at a 404. Unknown ids get their own (cheaper) pass.

Examples are few per operation and drawn deterministically (`derandomize`), so CI is stable and
the file runs in a few seconds on each database: `make test` draws EXAMPLES (6) per generation
mode per operation and half that with drawn path parameters. `make fuzz` sets FUZZ_EXAMPLES
(200 by default) for a long run of the same tests. A failure prints the request that caused it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from charting.form_templates import template_load_library
from charting.models import Alert, EarlyReview, MonitoringFormItem, ScaleAdministration
from charting.observations import observation_open
from charting.screening import session_screening_submit
from clinic.api.fields import MAX_ID
from clinic.models import ApiToken
from clinic.tokens import hash_token, new_token
from config.root_api import api
from scheduling.models import CalendarFeed, ChangeRequest, ReplanOffer
from tests.charting.helpers import safe_answers
from tests.support.clock import local
from tests.support.factories import make_course, make_session


class InProcessWSGIHandler(WSGIHandler):
    """Django's whole WSGI stack, middleware included, minus one thing a real server does:
    closing the database connection around each request, which here would end the test's
    transaction. Django's test client disconnects the same signals for the same reason (and
    connects them again after each of its requests, hence every call here)."""

    def __call__(self, environ, start_response):
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
        return super().__call__(environ, start_response)


# The document as /api/v1/openapi.json serves it.
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = InProcessWSGIHandler()


def _operation(result: Ok[APIOperation] | Err[InvalidSchema]) -> APIOperation:
    # A schema schemathesis cannot read is a failure of this module, not an operation to skip.
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


OPERATIONS = [_operation(result) for result in SCHEMA.get_all_operations()]
# status_code_conformance: a status the document does not declare for the operation fails, so
# a client generator sees every answer it can get.
CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Examples per generation mode per operation; `make test` uses the default, `make fuzz` more.
EXAMPLES = max(6, int(os.environ.get("FUZZ_EXAMPLES") or 6))


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        # No shrinking on failure: the first failing request is reported as is, quickly.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


class World:
    """Real objects for path parameters, and the admin's token."""

    def __init__(self, site, admin_user, patient) -> None:
        template_load_library()
        course = make_course(patient=patient, modality="esketamine", booked_by=admin_user)
        start = local(site, "2026-03-09", "09:00")
        session = make_session(course=course, start=start)
        screening = session_screening_submit(
            session=session, answers=safe_answers("esketamine-pre-dose"), by=admin_user, now=start
        )
        session.status = "in_progress"
        session.started_at = start
        session.save()
        record = observation_open(session=session, by=admin_user, now=start)
        assert record is not None
        alert = Alert.objects.create(
            kind=Alert.Kind.OUT_OF_RANGE,
            site=site,
            patient=patient,
            course=course,
            session=session,
            record=record,
            message="fuzz",
            raised_at=start,
        )
        # A REMS monitoring form for an earlier, completed session of the course.
        earlier = make_session(
            course=course, start=start - dt.timedelta(days=7), number=0, status="completed"
        )
        item = MonitoringFormItem.objects.create(
            session=earlier,
            course=course,
            site=site,
            patient=patient,
            template=record.template,
            due_date=earlier.start.date() + dt.timedelta(days=7),
            prefill=[],
            created_at=earlier.start,
        )
        # A re-planning offer the nightly job left for a missed session of the course.
        missed = make_session(
            course=course, start=start - dt.timedelta(days=3), number=99, status="no_show"
        )
        offer = ReplanOffer.objects.create(
            session=missed,
            course=course,
            site=site,
            kind=ReplanOffer.Kind.APPEND_MAKEUP,
            created_at=start,
        )
        # A patient's open change request for the missed session (made directly).
        change_request = ChangeRequest.objects.create(
            session=missed, patient=patient, site=site, created_at=start
        )
        raw = new_token("ict")
        ApiToken.objects.create(
            user=admin_user, name="fuzz", prefix=raw[:8], token_hash=hash_token(raw)
        )
        self.headers = {"Authorization": f"Bearer {raw}"}
        # DELETE /me/tokens/{id} revokes this one, not the token the requests use.
        spare = new_token("ict")
        token = ApiToken.objects.create(
            user=admin_user, name="spare", prefix=spare[:8], token_hash=hash_token(spare)
        )
        review = _early_review(course, admin_user, start)
        self.ids: dict[str, int] = {
            "token_id": token.pk,
            "course_id": course.pk,
            "session_id": session.pk,
            "site_id": site.pk,
            "patient_id": patient.pk,
            "screening_id": screening.pk,
            "record_id": record.pk,
            "alert_id": alert.pk,
            "item_id": item.pk,
            "offer_id": offer.pk,
            "change_request_id": change_request.pk,
            "review_id": review.pk,
            "scale_id": review.baseline_id,
            "session_number": 1,
            "feed_id": CalendarFeed.objects.create(
                kind="site", site=site, prefix="icf_fuzz", token_hash=hash_token("fuzz-feed")
            ).pk,
        }

    def path_parameters(self, operation) -> dict[str, Any]:
        names = {p.name for p in operation.path_parameters}
        ids: dict[str, Any] = {name: value for name, value in self.ids.items() if name in names}
        if "scale" in names:
            ids["scale"] = "phq9"
        if "item" in names:
            ids["item"] = "item1"
        if "slug" in names:
            is_template = "/charting/templates/" in operation.path
            ids["slug"] = "esketamine-post-dose" if is_template else "esketamine-trd"
        return ids


def _early_review(course, by, at) -> EarlyReview:
    """An open early-improvement review (PHQ-9 20 then 18) for the decision endpoint."""
    rows = [
        ScaleAdministration.objects.create(
            course=course,
            site_id=course.site_id,
            patient_id=course.patient_id,
            scale="phq9",
            items={},
            total=total,
            band="severe",
            administered_at=at,
            recorded_by=by,
            recorded_at=at,
        )
        for total in (20, 18)
    ]
    return EarlyReview.objects.create(
        course=course,
        site_id=course.site_id,
        patient_id=course.patient_id,
        scale="phq9",
        at_session=10,
        baseline=rows[0],
        measured=rows[1],
        baseline_total=20,
        measured_total=18,
        improvement_percent=10,
        threshold_percent=20,
        evidence="fuzz",
        citation="fuzz",
        status=EarlyReview.Status.OPEN,
        raised_at=at,
    )


@pytest.fixture
def world(site, admin_user, patient, settings) -> Iterator[World]:
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]  # the WSGI and test clients
    try:
        yield World(site, admin_user, patient)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _row_counts() -> tuple[int, ...]:
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed})
    sql = "SELECT " + ", ".join(
        f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def _exercise(case, headers: dict[str, str]) -> None:
    before = _row_counts() if case.method.upper() in WRITES else None
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict), f"{case.method} {case.formatted_path}: {body!r}"
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("message"), str) and body["message"], body
        if before is not None:
            assert _row_counts() == before, (
                f"{case.method} {case.formatted_path} answered {response.status_code} "
                f"{body['code']} but wrote to the database"
            )


def _label(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_fuzz_operation_on_real_objects(operation, world):
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(
            generation_mode=mode, path_parameters=world.path_parameters(operation)
        )

        @_settings(EXAMPLES)
        @given(case=strategy)
        def run(case) -> None:
            _exercise(case, world.headers)

        run()


PATH_OPERATIONS = [op for op in OPERATIONS if op.path_parameters]


@pytest.mark.parametrize("operation", PATH_OPERATIONS, ids=_label)
def test_fuzz_operation_with_drawn_path_parameters(operation, world):
    """Unknown, huge, negative or malformed ids and slugs in the path: 404 or 422, never 500."""

    @_settings(EXAMPLES // 2)
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case) -> None:
        _exercise(case, world.headers)

    run()


# Values at the edges of what the stack can hold, sent in each field of its declared type in
# turn. Random draws seldom reach them, and each found a 500 once: NUL (PostgreSQL text),
# unpaired surrogates (no UTF-8 for them), ids past 64 bits (SQLite), days and instants at the
# ends of the calendar (date arithmetic overflowing). 2**31 overflows PostgreSQL's `integer`.
HOSTILE: dict[str, list[Any]] = {
    "integer": [2**31, MAX_ID + 1, -(MAX_ID + 2)],
    "string": ["nul\x00byte"],
    "date": ["9999-12-31", "0001-01-01"],
    "date-time": ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"],
}
COMPONENTS = SCHEMA.raw_schema.get("components", {}).get("schemas", {})


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return _resolve(options[0]) if len(options) == 1 else schema


def _kind(schema: dict[str, Any]) -> str | None:
    schema = _resolve(schema)
    if schema.get("type") == "integer":
        return "integer"
    if schema.get("type") == "string":
        return schema.get("format") if schema.get("format") in HOSTILE else "string"
    return None


def _fields(operation) -> list[tuple[str, str, str]]:
    """(location, name, kind) of every query parameter and top-level body property."""
    definition = operation.definition.raw
    fields = [
        ("query", p["name"], _kind(p.get("schema", {})))
        for p in definition.get("parameters", [])
        if p.get("in") == "query"
    ]
    body = definition.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        properties = _resolve(body["schema"]).get("properties", {})
        fields += [("body", name, _kind(prop)) for name, prop in properties.items()]
    return [(where, name, kind) for where, name, kind in fields if kind]


FIELD_OPERATIONS = [op for op in OPERATIONS if _fields(op)]


@pytest.mark.parametrize("operation", FIELD_OPERATIONS, ids=_label)
def test_edge_values_in_each_field_are_refused_cleanly(operation, world):
    """One valid request, then each field in turn set to each edge value of its type."""
    strategy = operation.as_strategy(
        generation_mode=GenerationMode.POSITIVE, path_parameters=world.path_parameters(operation)
    )
    fields = _fields(operation)

    @_settings(1)
    @given(case=strategy)
    def run(case) -> None:
        query = {**(case.query or {})}
        body = case.body if isinstance(case.body, dict) else {}
        # Real ids in the other fields, so the edge value is what the services see.
        for where, name, _ in fields:
            if name in world.ids:
                (query if where == "query" else body)[name] = world.ids[name]
        for where, name, kind in fields:
            for value in HOSTILE[kind]:
                case.query = {**query, name: value} if where == "query" else query
                if where == "body":
                    case.body = {**body, name: value}
                _exercise(case, world.headers)
            if where == "body" and kind == "string":
                _send_lone_surrogate(case, {**body, name: "lone\ud800surrogate"}, world)

    run()


def _send_lone_surrogate(case, body: dict[str, Any], world: World) -> None:
    """JSON may escape a lone UTF-16 surrogate ("\\ud800"); it decodes to a str that has no
    UTF-8 form, so no database can store it. schemathesis cannot carry one (it validates
    bodies as UTF-8), hence Django's test client."""
    before = _row_counts()
    response = getattr(Client(), case.method.lower())(
        case.formatted_path,
        json.dumps(body),  # ensure_ascii: the surrogate travels as its escape
        content_type="application/json",
        headers=world.headers,
        query_params=case.query or None,
    )
    assert response.status_code < 500, (case.formatted_path, body, response.content)
    if response.status_code >= 400:
        error = response.json()
        assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
        assert _row_counts() == before, f"{case.formatted_path} wrote a partial result"


def test_every_path_parameter_of_the_schema_has_a_real_object(world):
    """A new path parameter must be added to World, or its operation only ever sees 404s."""
    assert len(OPERATIONS) >= 50
    for operation in PATH_OPERATIONS:
        names = {p.name for p in operation.path_parameters}
        assert names <= set(world.path_parameters(operation)), _label(operation)
