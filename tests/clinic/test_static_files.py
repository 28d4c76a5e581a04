"""Every asset comes from the service itself: whitenoise serves collected static files with
DEBUG off, and the API docs page uses ninja's bundled Swagger UI, not a CDN."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client


def test_collected_static_files_are_served_without_debug(settings, tmp_path, db):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # a fresh handler: whitenoise reads STATIC_ROOT when it starts
    for path in ["/static/clinic/staff.css", "/static/clinic/pages.js"]:
        response = client.get(path)
        try:
            assert response.status_code == 200, path
            assert b"".join(response.streaming_content)  # type: ignore[attr-defined]
        finally:
            response.close()  # whitenoise streams the file; close it (warnings are errors)
    assert (tmp_path / "clinic" / "staff.css.gz").exists()


@pytest.mark.django_db
def test_the_api_docs_page_loads_nothing_from_a_cdn(client):
    body = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower()
