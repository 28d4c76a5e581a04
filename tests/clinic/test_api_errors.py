"""Errors outside any handler are JSON too: unknown API paths and unhandled exceptions."""

from __future__ import annotations

import json

from django.test import RequestFactory

from clinic.api.http_errors import server_error


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


def test_server_errors_under_api_are_json_and_say_nothing_of_the_cause():
    response = server_error(RequestFactory().get("/api/v1/courses"))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "code": "server_error",
        "message": "Internal server error. It has been logged.",
    }


def test_server_errors_elsewhere_use_djangos_page():
    response = server_error(RequestFactory().get("/admin/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
