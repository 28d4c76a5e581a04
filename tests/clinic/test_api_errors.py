"""Errors outside any handler are JSON too: unknown API paths and unhandled exceptions."""

from __future__ import annotations

import logging

from django.test import RequestFactory

from clinic.request_failures import server_error


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
