"""Errors outside any handler are JSON too: unknown API paths and unhandled exceptions."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, RequestFactory

from config.request_failures import server_error


def test_an_unknown_api_path_is_a_json_404(db, client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "/api/v1/docs" in response.json()["message"]


def test_a_trailing_slash_gets_a_hint(scheduler, api_as):
    response = api_as(scheduler).get("/api/v1/me/")
    assert response.status_code == 404
    assert "Did you mean /api/v1/me (no trailing slash)?" in response.json()["message"]


def test_other_unknown_paths_keep_djangos_404(db, client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.get("Content-Type", "").startswith("application/json")


def test_an_unhandled_error_under_api_is_json_500_with_a_request_id_that_is_logged(
    scheduler, api_as, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("clinic.api.accounts.site_list_for_user", broken)
    client = api_as(scheduler)
    client.client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="clinic.requests"):
        response = client.get("/api/v1/me")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert "a bug" not in body["message"]
    assert body["request_id"] in body["message"]
    assert response["X-Request-ID"] == body["request_id"]
    logged = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_server_errors_elsewhere_use_djangos_page():
    response = server_error(RequestFactory().get("/admin/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_json_405_naming_the_allowed_methods(scheduler, api_as):
    response = api_as(scheduler).client.put(
        "/api/v1/me", "{}", content_type="application/json", headers=api_as(scheduler).headers
    )
    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert "GET" in body["message"]
    assert "GET" in response["Allow"]


def test_a_body_over_the_limit_is_json_413_and_logs_no_traceback(
    scheduler, api_as, settings, caplog
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api_as(scheduler)
    with caplog.at_level(logging.INFO):
        response = client.post("patients/search", {"q": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("logged_in", [False, True])
def test_an_unknown_api_path_is_json_404_for_every_method_and_session(method, logged_in, scheduler):
    client = Client(enforce_csrf_checks=True)
    if logged_in:
        client.force_login(scheduler)
    response = getattr(client, method)("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_openapi_document_declares_the_statuses_around_each_handler():
    from config.root_api import api

    document = api.get_openapi_schema()
    retire = document["paths"]["/api/v1/protocols/{slug}/retire"]["post"]["responses"]
    assert {400, 401, 403, 404, 413, 415, 422, 429, 503} <= {int(s) for s in retire}
    assert retire[415]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    me = document["paths"]["/api/v1/me"]["get"]["responses"]
    assert {200, 401, 503} <= {int(s) for s in me}


# --- Bodies Django would parse as forms (found by fuzzing) ----------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_a_multipart_type_without_boundary_is_never_parsed(db, settings, debug, content_type):
    # An empty POST declared multipart without a boundary: whoever read request.POST first
    # (axes, recording a wrong token's attempt) raised MultiPartParserError, a 500 traceback
    # under DEBUG and Django's HTML 400 otherwise.
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    response = client.generic(
        "POST",
        "/api/v1/patients/search",
        b"",
        CONTENT_TYPE=content_type,
        headers={"Authorization": "Bearer ict_wrong-token"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_multipart_type_without_boundary_with_a_session_is_json(scheduler):
    # The session's CSRF check reads the form's csrfmiddlewaretoken before the header.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(scheduler)
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    response = client.generic(
        "POST",
        "/api/v1/patients/search",
        b"",
        CONTENT_TYPE="multipart/form-data",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_api_root_and_docs_answer_errors_as_json(db, method):
    # ninja's own root view raises Http404 (Django's HTML page), and a POST to the docs page
    # met Django's HTML CSRF page.
    for path in ("/api/v1/", "/api/v1/docs", "/api/v1/openapi.json"):
        response = getattr(Client(raise_request_exception=False), method)(path)
        if response.status_code < 400:
            continue
        assert response["Content-Type"].startswith("application/json"), (method, path)
        assert response.json()["code"] and response.json()["message"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_anywhere_in_a_body_are_refused_at_the_edge(scheduler, api_as, literal):
    # Python's json module reads these non-JSON tokens as floats; inside a free-form object
    # (a protocol spec, observation values) no schema type would see them, and PostgreSQL's
    # jsonb cannot store them.
    client = api_as(scheduler)
    response = client.client.post(
        "/api/v1/protocols/no-such-protocol/validate",
        f'{{"spec": {{"phases": [{{"sessions": {literal}}}]}}}}',
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "finite" in response.json()["message"]
