"""The API docs page works on a clinic network without internet access."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders


def test_api_docs_page_loads_swagger_ui_from_the_service_itself(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any("swagger-ui" in url for url in urls), html
    external = [url for url in urls if re.match(r"^(https?:)?//", url)]
    assert external == [], external
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
