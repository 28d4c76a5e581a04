"""`manage.py check --deploy` warns when mail to a non-local SMTP host goes without TLS (issue 16,
point 8): reminders and the clinicians' lists would cross the network in clear text."""

from __future__ import annotations

import pytest
from django.core.checks.registry import registry
from django.test import override_settings

from clinic.checks import check_mail_tls

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("host", "tls", "ssl", "warned"),
    [
        ("smtp.example.org", False, False, True),
        ("smtp.example.org", True, False, False),
        ("smtp.example.org", False, True, False),
        ("localhost", False, False, False),
        ("127.0.0.1", False, False, False),
    ],
)
def test_mail_without_tls_to_a_remote_host_is_warned(host, tls, ssl, warned):
    with override_settings(
        EMAIL_BACKEND=SMTP, EMAIL_HOST=host, EMAIL_USE_TLS=tls, EMAIL_USE_SSL=ssl
    ):
        ids = [m.id for m in check_mail_tls()]
    assert ids == (["clinic.W010"] if warned else [])


def test_console_backend_is_not_warned():
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        EMAIL_HOST="smtp.example.org",
        EMAIL_USE_TLS=False,
    ):
        assert check_mail_tls() == []


def test_it_runs_with_check_deploy_only():
    deploy = registry.get_checks(include_deployment_checks=True)
    assert check_mail_tls in deploy
    assert check_mail_tls not in registry.get_checks(include_deployment_checks=False)
