"""How API callers authenticate: an API token (Bearer or X-API-Token header) or the Django
session login (with CSRF on unsafe methods)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth
from ninja.utils import check_csrf

from clinic.clock import wall_now
from clinic.error_codes import ERR_CSRF_FAILED
from clinic.errors import Forbidden
from clinic.login_limits import api_token_failed, api_token_prefix_locked
from clinic.models import ApiToken
from clinic.tokens import hash_token


def token_user(token: str | None) -> User | None:
    """The active user owning the unrevoked API token `token`, or None."""
    if not token:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    # Touch at most once a minute: a busy client must not turn every read into a write.
    now = wall_now()  # a throttle on real elapsed time, not the clinic's day
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def token_authenticate(request: HttpRequest, token: str | None) -> User | None:
    """The token's user, set on the request. A wrong token counts towards its prefix's and its
    address's lockout; a locked address still accepts every valid token (clinic/login_limits.py)."""
    if not token:
        return None
    api_token_prefix_locked(request, token)
    user = token_user(token)
    if user is None:
        api_token_failed(request, token)
        return None
    request.user = user
    return user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return token_authenticate(request, token)


class HeaderToken(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return token_authenticate(request, key)


class StaffSession(SessionAuth):
    """Django session login; unsafe methods need the CSRF token (X-CSRFToken header).

    ninja's SessionAuth checks CSRF before looking at the session, so an anonymous POST got a
    CSRF 403 instead of the 401 every other anonymous call gets. Check the session first.
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise Forbidden(
                "CSRF check failed: send the csrftoken cookie's value as the X-CSRFToken header, "
                "or use an API token instead of the session.",
                code=ERR_CSRF_FAILED,
            )
        return user
