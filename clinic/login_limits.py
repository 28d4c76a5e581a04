"""Repeated failed logins and API token attempts are locked out for a while (django-axes).

Axes records each failure in the database (shared by every worker) and, past
AXES_FAILURE_LIMIT failures for one username or from one address within the cool-off time,
refuses further attempts until the cool-off has passed: on the login page, in the admin, and
(through `api_token_failed` / `api_token_locked`) for API tokens. The answer always says when to
try again (a message and `Retry-After`), so a locked-out nurse is not left guessing.
"""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse

from clinic.errors import DomainError


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, retry_after_seconds=retry_after)
        self.retry_after = retry_after


def cool_off_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds()) if cool_off else 0


def retry_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_message(request: HttpRequest) -> str:
    return (
        f"Too many failed attempts for this account or from this address. For your patients' "
        f"safety logins are paused: try again in {retry_text(cool_off_seconds(request))}, or ask "
        "an admin to unlock the account (manage.py axes_reset_username)."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; JSON under /api/, plain text elsewhere."""
    seconds = cool_off_seconds(request)
    message = lockout_message(request)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "too_many_attempts", "message": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


def client_ip(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the client's address. Behind a proxy REMOTE_ADDR is the proxy's
    own (every user would share one lock), so LOGIN_CLIENT_IP_HEADER names the header the proxy
    overwrites with the client's address (nginx: `proxy_set_header X-Real-IP $remote_addr`)."""
    header = settings.LOGIN_CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "").strip()
        if value:
            return value
    return str(request.META.get("REMOTE_ADDR", ""))


def _token_credentials(request: HttpRequest) -> dict[str, str]:
    # A pseudo-username per address: API token failures lock the address they come from, never
    # a real account (a token names no user until it matches).
    return {
        getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"): f"api-token@{client_ip(request)}"
    }


def api_token_locked(request: HttpRequest) -> None:
    """Raise 429 too_many_attempts when this address is locked out of token attempts."""
    if AxesProxyHandler.is_locked(request, _token_credentials(request)):
        raise TooManyAttempts(lockout_message(request), retry_after=cool_off_seconds(request))


def api_token_failed(request: HttpRequest) -> None:
    """Record a failed API token attempt (counted like a failed login)."""
    user_login_failed.send(
        sender=__name__, credentials=_token_credentials(request), request=request
    )
