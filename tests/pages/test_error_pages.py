"""The service's own look where Django's plain pages used to show: 403 and 404 pages with the
navigation and the reason, the login page (no admin header; says when one is logged out), the
favicon, the API docs' way back, and a 403 that logs one line rather than a traceback."""

from __future__ import annotations

import logging
import time

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from clinic.browser_privacy import LAST_SEEN
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_403_page_has_the_navigation_and_the_reason(scheduler, settings):
    settings.DEBUG = False
    response = client_for(scheduler).get("/alerts/")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<nav aria-label="Main">' in html and 'href="/patients/"' in html
    assert 'id="error-reason"' in html
    reason = html.split('id="error-reason">', 1)[1].split("<", 1)[0]
    assert reason.strip() and "Your role does not include" not in reason, reason
    assert "staff.css" in html


def test_403_page_shows_under_debug_too(scheduler, settings):
    settings.DEBUG = True
    response = client_for(scheduler).get("/alerts/")
    assert response.status_code == 403 and 'id="error-reason"' in response.content.decode()


def test_404_page_has_the_navigation_and_the_reason(scheduler, other_site, settings):
    settings.DEBUG = False
    response = client_for(scheduler).get("/patients/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<nav aria-label="Main">' in html and "Not found" in html
    assert 'id="error-reason"' in html


def test_an_anonymous_404_has_no_navigation_but_a_login_link(db, settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<nav aria-label="Main">' not in html
    assert 'href="/accounts/login/' in html


def test_api_errors_stay_json(scheduler, settings):
    settings.DEBUG = False
    client = client_for(scheduler)
    missing = client.get("/api/v1/patients/999999")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
    nowhere = client.get("/api/v1/no-such-thing")
    assert nowhere.status_code == 404 and nowhere.json()["code"]


def test_login_page_is_the_services_own(db):
    html = Client().get("/accounts/login/").content.decode()
    assert "Django administration" not in html and "admin/css" not in html
    assert "staff.css" in html and '<label for="id_username">Username</label>' in html


def test_login_page_says_logged_out_after_logout(scheduler):
    client = Client()
    login = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert login.status_code == 302
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "You are logged out." in response.content.decode()
    again = client.get("/accounts/login/").content.decode()
    assert "You are logged out." not in again  # said once


def test_login_page_says_when_an_idle_session_was_logged_out(nurse):
    client = client_for(nurse)
    session = client.session
    session[LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get("/patients/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "You were logged out after 30 idle minutes." in response.content.decode()


def test_favicon_is_linked_and_served(scheduler):
    html = client_for(scheduler).get("/").content.decode()
    assert 'rel="icon" href="/static/clinic/favicon.svg"' in html
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/clinic/favicon.svg"
    assert finders.find("clinic/favicon.svg")


def test_api_docs_link_back_to_the_staff_pages(scheduler):
    response = client_for(scheduler).get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/"' in html and "Back to the staff pages" in html
    assert "swagger-ui-bundle.js" in html


def test_a_403_page_logs_one_line_without_a_traceback(scheduler, caplog, settings):
    settings.DEBUG = False
    client = client_for(scheduler)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/alerts/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage().startswith("Forbidden")
    assert records[0].exc_info is None and not records[0].exc_text


def test_a_500_still_logs_its_traceback():
    from config.request_failures import ClientErrorsWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", (), exc_info)
    record.status_code = 500
    assert ClientErrorsWithoutTraceback().filter(record) and record.exc_info is exc_info
