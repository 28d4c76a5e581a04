"""No live token in the application log: feed and patient-link tokens travel in URL paths, and
Django names the path in every 4xx/5xx line, CSRF refusal and traceback. The handlers of
settings.LOGGING redact them (clinic/log_redaction.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client

from clinic import log_redaction
from clinic.log_redaction import RedactTokens, redact
from clinic.services import API_TOKEN_PREFIX
from clinic.tokens import new_token
from scheduling.feed_tokens import TOKEN_PREFIX

# The loggers our records go through: Django's (whose defaults, django.utils.log.DEFAULT_LOGGING,
# attach handlers of their own), the apps', and the libraries that log about requests. Other
# libraries' private handlers (tatsu, say) never see a request.
LOGGERS = (
    "",
    "django",
    "django.request",
    "django.server",
    "django.security.csrf",
    "django.db.backends",
    "clinic",
    "clinic.requests",
    "protocols",
    "scheduling",
    "charting",
    "axes",
    "django-q",
)


def _configured_handlers() -> list[tuple[str, logging.Handler]]:
    """Every handler on those loggers that writes somewhere, except pytest's capture handlers."""
    config: dict[str, Any] = settings.LOGGING
    names = [*LOGGERS, *config.get("loggers", {})]
    return [
        (name, handler)
        for name in names
        for handler in logging.getLogger(name).handlers
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)
    ]


@pytest.fixture
def app_log() -> Iterator[StringIO]:
    """What the configured console handler writes, for the length of a test."""
    handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert handlers, "settings.LOGGING should give the root logger a console handler"
    stream = StringIO()
    old = [h.setStream(stream) for h in handlers]
    try:
        yield stream
    finally:
        for handler, previous in zip(handlers, old, strict=True):
            handler.setStream(previous)


def test_the_redacted_prefixes_are_the_ones_tokens_are_made_with():
    assert set(log_redaction.TOKEN_PREFIXES) == {API_TOKEN_PREFIX, TOKEN_PREFIX}


def test_every_configured_handler_redacts_tokens():
    config: dict[str, Any] = settings.LOGGING
    for name, handler in config["handlers"].items():
        assert "redact_tokens" in handler.get("filters", []), name
    assert config["filters"]["redact_tokens"]["()"] == "clinic.log_redaction.RedactTokens"
    handlers = _configured_handlers()
    assert handlers
    for name, handler in handlers:
        assert any(isinstance(f, RedactTokens) for f in handler.filters), (name, handler)


def test_redact_keeps_words_and_cuts_tokens():
    token = new_token("icf")
    assert redact(f"GET /calendar/{token}.ics") == f"GET /calendar/{token[:8]}[redacted].ics"
    assert redact(f"%2Fp%2F{token}%2F") == f"%2Fp%2F{token[:8]}[redacted]%2F"
    assert redact("strict_mode conflict_found dict_keys") == "strict_mode conflict_found dict_keys"


@pytest.mark.django_db
def test_a_run_that_provokes_each_kind_of_log_line_leaks_no_token(app_log, monkeypatch):
    feed_token, link_token, api_token = new_token("icf"), new_token("icf"), new_token("ict")

    # Not Found: an unknown patient link.
    assert Client().get(f"/p/{link_token}/").status_code == 404

    # Service Unavailable: a calendar feed while the database is down.
    def down(token: str):
        raise OperationalError(f"could not look up {token}")

    monkeypatch.setattr("scheduling.views.patient_link.feed_by_token", down)
    assert Client().get(f"/calendar/{feed_token}.ics").status_code == 503
    monkeypatch.undo()
    # Forbidden (CSRF cookie not set): a form post from a patient page without the cookie.
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/p/{link_token}/reminder/", {"alarm": "60"}).status_code == 403

    # An unhandled exception whose message and traceback name the token.
    def broken(token: str):
        raise RuntimeError(f"cannot resolve {token}")

    monkeypatch.setattr("scheduling.views.patient_link.feed_by_token", broken)
    assert Client().get(f"/calendar/{feed_token}.ics").status_code == 500
    # A message with the token in its arguments (an API token, say).
    logging.getLogger("clinic").warning("token %s refused", api_token)

    text = app_log.getvalue()
    for expected in ("Not Found: /p/", "Service Unavailable: /calendar/", "CSRF", "RuntimeError"):
        assert expected in text, f"the run should have logged {expected!r}:\n{text}"
    assert "[redacted]" in text
    for token in (feed_token, link_token, api_token):
        assert token not in text
        assert token[8:] not in text  # not even the secret part on its own
