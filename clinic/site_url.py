"""The service's own public address (`SITE_URL`), for links that leave the request: emails
sent by the worker have no request to build an absolute address from, and a bare "/alerts/" in
an email goes nowhere.

Production sets `SITE_URL` (`check --deploy` fails without an absolute one, clinic/checks.py);
`make run` defaults it to http://HOST:PORT under DEBUG (config/settings.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def site_url_problem(value: str) -> str | None:
    """Why `value` cannot be the base of the links in emails, or None."""
    if not value:
        return "is not set"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"is {value!r}, not an absolute http(s) address such as https://clinic.example.org"
    if parts.query or parts.fragment:
        return f"is {value!r}: no query or fragment, only scheme, host and an optional path"
    return None


def absolute_url(path: str) -> str | None:
    """`path` ("/alerts/") under SITE_URL, or None when SITE_URL is unset or not absolute (the
    caller then says where to go in words, never with a relative link)."""
    base = str(getattr(settings, "SITE_URL", "") or "")
    if site_url_problem(base) is not None:
        return None
    return base.rstrip("/") + "/" + path.lstrip("/")
