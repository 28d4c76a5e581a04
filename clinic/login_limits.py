"""Repeated failed logins and API token attempts are locked out for a while (django-axes),
without letting one user or one stale device lock out a whole clinic.

Axes records each failure in the database (shared by every worker). Past LOGIN_FAILURE_LIMIT
failures within the cool-off time it refuses further attempts until the cool-off has passed:

- a login (the login page, the admin) is locked for the combination of username and address:
  a clinic behind one NAT address shares it, so the address alone must never be the lock;
- an API token names no user until it matches, so its failures are counted under two
  pseudo-usernames: `token-prefix:<first characters>` (across addresses; a locked prefix is
  refused before any lookup, and its retries no longer count) and `token-address:<address>`
  (API_TOKEN_ADDRESS_FAILURE_LIMIT; a locked address gets 429 for wrong tokens only, a valid
  token from it is always answered).
  Neither can be a real username (Django usernames have no colon).

The answer always says when to try again (a message and `Retry-After`) and which reset command
lifts that lock (docs/deployment.md "Logins"), so a locked-out nurse is not left guessing.
"""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse

from clinic.error_codes import ERR_TOO_MANY_ATTEMPTS
from clinic.errors import DomainError
from clinic.services import PREFIX_LENGTH

TOKEN_PREFIX_USER = "token-prefix:"
TOKEN_ADDRESS_USER = "token-address:"
_TOKEN_USERS = (TOKEN_PREFIX_USER, TOKEN_ADDRESS_USER)


class TooManyAttempts(DomainError):
    status = 429
    code = ERR_TOO_MANY_ATTEMPTS

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, retry_after_seconds=retry_after)
        self.retry_after = retry_after


def cool_off_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds()) if cool_off else 0


def retry_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _username_field() -> str:
    return getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")


def _locked_username(credentials: Any) -> str:
    if isinstance(credentials, dict):
        return str(credentials.get(_username_field()) or "")
    return ""


def lockout_parameters(request_or_attempt: Any, credentials: Any = None) -> list[list[str]]:
    """AXES_LOCKOUT_PARAMETERS: what one lock covers.

    A login locks its username at its address only; an API token pseudo-username (prefix or
    address, see the module docstring) is itself the whole key."""
    username = _locked_username(credentials) or str(getattr(request_or_attempt, "username", ""))
    if username.startswith(_TOKEN_USERS):
        return [["username"]]
    return [["username", "ip_address"]]


def failure_limit(request: Any, credentials: Any = None) -> int:
    """AXES_FAILURE_LIMIT: LOGIN_FAILURE_LIMIT, or API_TOKEN_ADDRESS_FAILURE_LIMIT for the
    wrong tokens of one address."""
    if _locked_username(credentials).startswith(TOKEN_ADDRESS_USER):
        return int(settings.API_TOKEN_ADDRESS_FAILURE_LIMIT)
    return int(settings.LOGIN_FAILURE_LIMIT)


def reset_command(request: HttpRequest, credentials: Any = None) -> str:
    """The manage.py command that lifts the lock `credentials` ran into."""
    username = _locked_username(credentials)
    if username.startswith(_TOKEN_USERS):
        return f"manage.py axes_reset_username {username}"
    address = client_ip(request)
    if username:
        return f"manage.py axes_reset_ip_username {address} {username}"
    return "manage.py axes_reset_username <username>"


def lockout_message(request: HttpRequest, credentials: Any = None) -> str:
    username = _locked_username(credentials)
    if username.startswith(TOKEN_PREFIX_USER):
        what = "for this API token"
    elif username.startswith(TOKEN_ADDRESS_USER):
        what = "with wrong API tokens from this address"
    else:
        what = "for this account from this address"
    return (
        f"Too many failed attempts {what}. For your patients' safety these attempts are "
        f"paused: try again in {retry_text(cool_off_seconds(request))}, or ask an admin to "
        f"lift the lock ({reset_command(request, credentials)})."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; JSON under /api/, plain text elsewhere."""
    seconds = cool_off_seconds(request)
    message = lockout_message(request, credentials)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": ERR_TOO_MANY_ATTEMPTS, "message": message}, status=429)
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


def _prefix_credentials(token: str) -> dict[str, str]:
    return {_username_field(): f"{TOKEN_PREFIX_USER}{token[:PREFIX_LENGTH]}"}


def _address_credentials(request: HttpRequest) -> dict[str, str]:
    return {_username_field(): f"{TOKEN_ADDRESS_USER}{client_ip(request)}"}


def _refuse(request: HttpRequest, credentials: dict[str, str]) -> TooManyAttempts:
    return TooManyAttempts(
        lockout_message(request, credentials), retry_after=cool_off_seconds(request)
    )


def api_token_prefix_locked(request: HttpRequest, token: str) -> None:
    """Raise 429 too_many_attempts when the token's prefix is locked (checked before lookup)."""
    credentials = _prefix_credentials(token)
    if AxesProxyHandler.is_locked(request, credentials):
        raise _refuse(request, credentials)


def api_token_failed(request: HttpRequest, token: str) -> None:
    """Count a token that matched nothing against its prefix and its address; raise 429 when
    the address is already locked (then nothing more is counted), else return for a 401.

    The failure that reaches a limit is answered with the lockout by axes' middleware."""
    address = _address_credentials(request)
    if AxesProxyHandler.is_locked(request, address):
        raise _refuse(request, address)
    for credentials in (_prefix_credentials(token), address):
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
