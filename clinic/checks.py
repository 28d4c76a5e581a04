"""System checks for `manage.py check --deploy` that Django's own do not make.

Django warns about a weak SECRET_KEY, but nothing looks at TOKEN_HASH_KEY (the pepper of every
API and feed token hash), and DEBUG on a server that answers real host names passes as long as
some other warning is silenced; and without an absolute SITE_URL an urgent-alert email links
nowhere. These are errors, not warnings: a deployment with them is unsafe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from clinic.site_url import site_url_problem

# Same thresholds as Django's own secret key check (django.core.checks.security.base).
MIN_SECRET_LENGTH = 50
MIN_SECRET_UNIQUE_CHARACTERS = 5
INSECURE_PREFIX = "django-insecure-"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1", ".localhost"})


def secret_weakness(value: str) -> str | None:
    """Why `value` is not fit to sign or pepper anything in production, or None."""
    if value.startswith(INSECURE_PREFIX):
        return f"starts with {INSECURE_PREFIX!r} (a development key)"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is {len(value)} characters long; use at least {MIN_SECRET_LENGTH}"
    if len(set(value)) < MIN_SECRET_UNIQUE_CHARACTERS:
        return f"uses fewer than {MIN_SECRET_UNIQUE_CHARACTERS} different characters"
    return None


HOW_TO_MAKE_ONE = (
    "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))' "
    "(docs/deployment.md)."
)


@register(Tags.security, deploy=True)
def check_secrets(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    named = [("SECRET_KEY", settings.SECRET_KEY, "clinic.E001")]
    named += [
        (f"SECRET_KEY_FALLBACKS[{i}]", key, "clinic.E001")
        for i, key in enumerate(getattr(settings, "SECRET_KEY_FALLBACKS", []))
    ]
    named.append(("TOKEN_HASH_KEY", getattr(settings, "TOKEN_HASH_KEY", ""), "clinic.E002"))
    for name, value, check_id in named:
        problem = secret_weakness(str(value))
        if problem:
            errors.append(Error(f"{name} {problem}.", hint=HOW_TO_MAKE_ONE, id=check_id))
    return errors


@register(Tags.security, deploy=True)
def check_debug_hosts(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not settings.DEBUG:
        return []
    public = [host for host in settings.ALLOWED_HOSTS if host.lower() not in LOCAL_HOSTS]
    if not public:
        return []
    return [
        Error(
            f"DEBUG is on while ALLOWED_HOSTS names non-local hosts ({', '.join(public)}): "
            "error pages would show settings and patient data to anyone who reaches them.",
            hint="Unset DEBUG on any server other people can reach.",
            id="clinic.E003",
        )
    ]


@register(Tags.security, deploy=True)
def check_site_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    problem = site_url_problem(str(getattr(settings, "SITE_URL", "") or ""))
    if problem is None:
        return []
    return [
        Error(
            f"SITE_URL {problem}: urgent-alert emails could not link to the alerts queue.",
            hint="Set SITE_URL to the address staff open, e.g. https://clinic.example.org "
            "(docs/deployment.md).",
            id="clinic.E004",
        )
    ]


SMTP_BACKENDS = frozenset({"django.core.mail.backends.smtp.EmailBackend"})


@register(Tags.security, deploy=True)
def check_mail_tls(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Mail to a non-local SMTP host without EMAIL_USE_TLS or EMAIL_USE_SSL crosses the
    network in clear text (reminders carry a patient's first name and appointment time). A
    local relay (localhost) is the operator's to secure onwards, so it is not warned."""
    if settings.EMAIL_BACKEND not in SMTP_BACKENDS:
        return []
    if getattr(settings, "EMAIL_USE_TLS", False) or getattr(settings, "EMAIL_USE_SSL", False):
        return []
    host = str(getattr(settings, "EMAIL_HOST", "")).lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return []
    return [
        Warning(
            f"Email goes to {host} without TLS (EMAIL_USE_TLS and EMAIL_USE_SSL are off): "
            "patient reminders would cross the network in clear text.",
            hint="Set EMAIL_USE_TLS=1 (STARTTLS, port 587) or EMAIL_USE_SSL=1 (port 465); "
            "docs/deployment.md, Email.",
            id="clinic.W010",
        )
    ]
