"""A shared ward PC keeps nothing: authenticated answers are not stored, staff pages run under
one Content-Security-Policy, and an idle staff session ends (clinic/browser_privacy.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from tests.conftest import ApiClient
from tests.scheduling.feed_support import make_feed

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
START = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


@pytest.mark.parametrize("path", ["/", "/patients/", "/grid/", "/site/", "/my-calendar/"])
def test_staff_pages_are_not_stored_by_the_browser(nurse, path):
    client = Client()
    client.force_login(nurse)
    response = client.get(path)
    assert response.status_code == 200, path
    assert _no_store(response), response.get("Cache-Control")


def test_api_answers_with_patient_data_are_not_stored(scheduler, patient):
    response = ApiClient(scheduler).get(f"patients/{patient.pk}")
    assert response.status_code == 200
    assert _no_store(response), response.get("Cache-Control")


def test_the_login_answer_is_not_stored(nurse):
    nurse.set_password("a long test password")
    nurse.save()
    response = Client().post(
        "/accounts/login/", {"username": nurse.username, "password": "a long test password"}
    )
    assert response.status_code == 302
    assert _no_store(response)


def test_staff_pages_carry_one_policy_without_inline_script_or_style(nurse, site):
    client = Client()
    client.force_login(nurse)
    for path in ("/", "/grid/", "/patients/", "/api/v1/docs"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy, path
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path


def test_the_grid_styles_its_blocks_through_the_policy_nonce(nurse, site):
    client = Client()
    client.force_login(nurse)
    response = client.get("/grid/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce, response["Content-Security-Policy"]
    assert f'<style nonce="{nonce[1]}">' in html
    assert ' style="' not in html


def test_templates_hold_no_inline_script_or_style_the_policy_would_block():
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        rel = template.relative_to(TEMPLATES)
        if re.search(r"\sstyle=\"", text):
            found.append(f"{rel}: style attribute")
        if re.search(r"\son[a-z]+=\"", text):
            found.append(f"{rel}: event handler attribute")
        # Allowed: <script src=...>, data (<script type="application/json">: never run, so
        # the policy does not block it) and <style nonce="{{ request.csp_nonce }}">.
        found += [
            f"{rel}: {tag}"
            for tag in re.findall(r"<script\b[^>]*>", text)
            if "src=" not in tag and 'type="application/json"' not in tag
        ]
        found += [
            f"{rel}: {tag}" for tag in re.findall(r"<style\b[^>]*>", text) if "csp_nonce" not in tag
        ]
    assert found == []


def test_patient_pages_keep_their_stricter_policy(site, patient):
    _, token = make_feed("patient", site, patient=patient)
    response = Client().get(f"/p/{token}/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<style nonce="{nonce[1]}">' in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


def test_an_idle_staff_session_ends_after_the_setting(nurse, settings):
    assert settings.STAFF_SESSION_IDLE_MINUTES == 30
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(nurse)
        assert client.get("/patients/").status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/patients/").status_code == 200  # in use: the idle time restarts
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/patients/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/patients/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert client.get("/patients/").status_code == 302  # the session is gone for good


def test_the_idle_time_is_the_sites_setting(site, other_site, nurse):
    """A site sets its own idle time; someone working at several sites gets the shortest."""
    site.staff_idle_minutes = 10
    site.full_clean()
    site.save()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(nurse)
        assert client.get("/patients/").status_code == 200
        clock.shift(dt.timedelta(minutes=9))
        assert client.get("/patients/").status_code == 200
        clock.shift(dt.timedelta(minutes=11))
        assert client.get("/patients/").status_code == 302

    other_site.staff.add(nurse)
    other_site.staff_idle_minutes = 5
    other_site.save()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(nurse)
        clock.shift(dt.timedelta(minutes=6))
        assert client.get("/patients/").status_code == 302
