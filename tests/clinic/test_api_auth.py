"""Authentication for the whole API: every endpoint needs a session or a live API token."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from clinic.models import ApiToken
from clinic.services import api_token_create, api_token_revoke
from clinic.tokens import hash_token

SAFE = {"get", "head", "options"}


def _dummy(param: dict, components: dict) -> str:
    schema = param.get("schema", {})
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return "987654"
    if schema.get("format") == "date":
        return "2030-01-07"
    return "dummy"


def _operations(schema: dict) -> list[tuple[str, str]]:
    """(method, concrete path) for every operation, path parameters filled with dummies."""
    components = schema.get("components", {}).get("schemas", {})
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "path"}

            def fill(m: re.Match[str], params: dict[str, Any] = params) -> str:
                return _dummy(params[m.group(1)], components)

            concrete = re.sub(r"\{(\w+)\}", fill, path)
            ops.append((method, concrete))
    return ops


@pytest.fixture
def strict_client() -> Client:
    # Real browsers and curl get CSRF checks; Django's test client skips them unless asked.
    return Client(enforce_csrf_checks=True)


def test_openapi_schema_and_docs_are_public_and_describe_both_auth_schemes(db, strict_client):
    response = strict_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    assert strict_client.get("/api/v1/docs").status_code == 200


def test_every_endpoint_answers_401_json_to_anonymous_callers(db, strict_client):
    schema = strict_client.get("/api/v1/openapi.json").json()
    operations = _operations(schema)
    # /me and the token endpoints are ours; the rest grows as the apps add routers.
    assert len(operations) >= 4
    wrong = []
    for method, path in operations:
        if method in SAFE:
            response = strict_client.get(path)
        else:
            response = getattr(strict_client, method)(
                path, data="{}", content_type="application/json"
            )
        is_json = response.get("Content-Type", "").startswith("application/json")
        body = response.json() if is_json else None
        if (
            response.status_code != 401
            or not body
            or body.get("code") != "unauthenticated"
            or not body.get("message")
        ):
            wrong.append(
                f"{method.upper()} {path}: {response.status_code} {response.content[:99]!r}"
            )
    assert not wrong, "endpoints that do not answer 401 to anonymous callers:\n" + "\n".join(wrong)


# Session only, by design: see test_a_token_cannot_mint_more_tokens.
SESSION_ONLY = {("post", "/api/v1/me/tokens")}


def test_every_endpoint_accepts_a_token_and_none_fails_on_dummy_input(admin_user, db):
    # The mirror of the anonymous test: with a valid token no endpoint answers 401, and dummy
    # ids and empty bodies get a 4xx, never a 500 ("bad input is never a 500").
    _, raw = api_token_create(user=admin_user, name="sweep")
    client = Client(raise_request_exception=False)
    auth = {"Authorization": f"Bearer {raw}"}
    schema = client.get("/api/v1/openapi.json").json()
    wrong = []
    for method, path in _operations(schema):
        if (method, path) in SESSION_ONLY or path.startswith("/api/v1/patient/"):
            # The patient's own endpoints take only a patient link token (tested in
            # tests/charting/test_patient_reports_api.py); a staff token is a 401 there.
            continue
        if method in SAFE:
            response = client.get(path, headers=auth)
        else:
            response = getattr(client, method)(
                path, data="{}", content_type="application/json", headers=auth
            )
        if response.status_code == 401 or response.status_code >= 500:
            wrong.append(
                f"{method.upper()} {path}: {response.status_code} {response.content[:99]!r}"
            )
    assert not wrong, "\n".join(wrong)


def test_a_bearer_token_authenticates_and_is_marked_used(scheduler, site, strict_client):
    row, raw = api_token_create(user=scheduler, name="script")
    assert row.last_used_at is None
    response = strict_client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "sam"
    assert body["roles"] == ["scheduler"]
    assert [s["slug"] for s in body["sites"]] == ["riverside"]
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_the_x_api_token_header_works_too(nurse, strict_client):
    _, raw = api_token_create(user=nurse, name="tablet")
    response = strict_client.get("/api/v1/me", headers={"X-API-Token": raw})
    assert response.status_code == 200
    assert response.json()["roles"] == ["nurse"]


def test_a_token_needs_no_csrf_for_unsafe_methods(scheduler, strict_client):
    row, raw = api_token_create(user=scheduler, name="script")
    response = strict_client.delete(
        f"/api/v1/me/tokens/{row.id}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 204
    row.refresh_from_db()
    assert row.revoked_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ict_not-a-real-token",
        "Bearer ",
        "Token something",
        "Basic c2FtOmNvcnJlY3QtaG9yc2UtYmF0dGVyeS0x",
    ],
)
def test_unknown_or_malformed_credentials_get_401(scheduler, strict_client, header):
    response = strict_client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_revoked_token_gets_401(scheduler, admin_user, strict_client):
    row, raw = api_token_create(user=scheduler, name="script")
    auth = {"Authorization": f"Bearer {raw}"}
    assert strict_client.get("/api/v1/me", headers=auth).status_code == 200
    api_token_revoke(token=row, by=admin_user)
    response = strict_client.get("/api/v1/me", headers=auth)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_an_inactive_users_token_gets_401(nurse, strict_client):
    _, raw = api_token_create(user=nurse, name="tablet")
    nurse.is_active = False
    nurse.save()
    response = strict_client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_the_database_holds_no_raw_token(scheduler, strict_client):
    _, raw = api_token_create(user=scheduler, name="script")
    # Use it, so last_used_at and any logging to the database have had their chance.
    strict_client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    secret_part = raw.split("_", 1)[1]
    assert len(secret_part) >= 40
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                if any(secret_part in str(value) for value in row):
                    found.append(table)
    assert found == []
    assert ApiToken.objects.get(user=scheduler).token_hash == hash_token(raw)


def login(client: Client, username: str, password: str = "correct-horse-battery-1"):
    client.get("/accounts/login/")  # sets the csrftoken cookie, as a browser would
    return client.post(
        "/accounts/login/",
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )


def test_any_staff_member_can_log_in_for_a_session_the_api_accepts(nurse, strict_client):
    # Nina is not is_staff: the admin's own login page would turn her away.
    response = login(strict_client, "nina")
    assert response.status_code == 302
    response = strict_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "nina"


def test_a_wrong_password_gives_no_session(nurse, strict_client):
    response = login(strict_client, "nina", password="wrong")
    assert response.status_code == 200  # the form again, with an error
    assert strict_client.get("/api/v1/me").status_code == 401


def test_logging_out_ends_api_access(nurse, strict_client):
    login(strict_client, "nina")
    strict_client.post(
        "/accounts/logout/", {"csrfmiddlewaretoken": strict_client.cookies["csrftoken"].value}
    )
    assert strict_client.get("/api/v1/me").status_code == 401


def test_unsafe_methods_with_a_session_need_the_csrf_token(clinician, strict_client):
    login(strict_client, "carl")
    response = strict_client.post(
        "/api/v1/me/tokens", {"name": "laptop"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not ApiToken.objects.filter(user=clinician).exists()

    response = strict_client.post(
        "/api/v1/me/tokens",
        {"name": "laptop"},
        content_type="application/json",
        headers={"X-CSRFToken": strict_client.cookies["csrftoken"].value},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith(body["prefix"])
    assert ApiToken.objects.get(user=clinician).token_hash == hash_token(body["token"])


def test_a_token_cannot_mint_more_tokens(scheduler, strict_client):
    # A leaked token must not be able to create a successor that survives its revocation.
    _, raw = api_token_create(user=scheduler, name="script")
    response = strict_client.post(
        "/api/v1/me/tokens",
        {"name": "successor"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 401
    assert ApiToken.objects.filter(user=scheduler).count() == 1


def test_token_list_shows_prefixes_never_hashes(scheduler, api_as):
    client = api_as(scheduler)
    response = client.get("me/tokens")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 1
    assert set(rows[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert ApiToken.objects.get(user=scheduler).token_hash not in json.dumps(rows)


def test_revoking_someone_elses_token_is_a_json_404(scheduler, nurse, api_as):
    row, _ = api_token_create(user=nurse, name="tablet")
    response = api_as(scheduler).delete(f"me/tokens/{row.id}")
    assert response.status_code == 404
    assert response.json()["code"] == "token_not_found"
    assert response.json()["message"]
    row.refresh_from_db()
    assert row.revoked_at is None


def test_revoking_twice_is_a_json_409(scheduler, api_as):
    client = api_as(scheduler)
    row = ApiToken.objects.get(user=scheduler)
    other, _ = api_token_create(user=scheduler, name="old")
    assert client.delete(f"me/tokens/{other.id}").status_code == 204
    response = client.delete(f"me/tokens/{other.id}")
    assert response.status_code == 409
    assert response.json() == {
        "code": "token_already_revoked",
        "message": "This token is already revoked.",
    }
    row.refresh_from_db()
    assert row.revoked_at is None


def test_bad_input_is_a_json_422_naming_the_field(clinician, client):
    client.force_login(clinician)  # the default test client does not enforce CSRF
    response = client.post("/api/v1/me/tokens", {"name": ""}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"].startswith("name:")


def test_the_login_page_renders_and_home_asks_anonymous_users_to_log_in(db, strict_client):
    response = strict_client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content
    response = strict_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
