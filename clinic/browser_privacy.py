"""What a browser keeps of a staff member's work: nothing it need not, and not for long.

A ward PC is shared. Without these, its browser cache holds every patient page and API answer
a nurse opened (back button, cache folder), and a session left open stays logged in for the
cookie's two weeks.

- `PrivateResponseMiddleware`: every response to an authenticated request (a session cookie,
  an API token header, or a login that sets the cookie) says `Cache-Control: private,
  no-store`. Decided from the request's headers, without a database query, so it costs
  nothing on requests that need no database. Static files are answered before it (whitenoise)
  and stay cacheable.
- `StaffIdleTimeoutMiddleware`: a staff session unused for its site's `staff_idle_minutes`
  (the shortest of the user's sites; `STAFF_SESSION_IDLE_MINUTES` for a user with none) is
  logged out on its next request (a page redirects to the login page, the API answers 401).
  Wall-clock time (`time.time()`), not the clinic clock: the browser tests move the clinical
  clock hours ahead, which is not anyone being idle.

The Content-Security-Policy of staff pages is django-csp's, one policy in settings
(`CONTENT_SECURITY_POLICY`); patient pages get the stricter `PATIENT_PAGE_CSP`
(scheduling/views/patient_link.py `patient_page_policy`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

PRIVATE = "private, no-store"
# The session key holding when the session was last used (seconds since the epoch).
LAST_SEEN = "clinic_last_seen"
# The session key holding this session's idle limit in seconds, read once at login.
IDLE_LIMIT = "clinic_idle_limit"
# Written back at most this often: a session save per request would be a write per page view.
LAST_SEEN_RESOLUTION_SECONDS = 60
TOKEN_HEADERS = ("Authorization", "X-API-Token")


def is_authenticated_request(request: HttpRequest, response: HttpResponse) -> bool:
    """True when the answer may hold what only this user may see."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    if settings.SESSION_COOKIE_NAME in response.cookies:  # logging in
        return True
    if any(request.headers.get(name) for name in TOKEN_HEADERS):
        return True
    user = getattr(request, "_cached_user", None)  # already loaded: no query
    return bool(user is not None and user.is_authenticated)


class PrivateResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_authenticated_request(request, response):
            patch_cache_control(response, private=True, no_store=True)
            _drop_shared_caching(response)
        return response


def _drop_shared_caching(response: HttpResponse) -> None:
    """Without `public` and `max-age` a view may have set (no-store wins anyway, but a header
    that says both is a puzzle for whoever reads it); `no-cache` and the like stay."""
    parts = [p.strip() for p in response.get("Cache-Control", "").split(",") if p.strip()]
    dropped = {"public", "max-age", "s-maxage"}
    response["Cache-Control"] = ", ".join(
        p for p in parts if p.split("=", 1)[0].lower() not in dropped
    )


def session_started(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """user_logged_in: the idle time counts from the login (and the first request after it
    need not write the session)."""
    request.session[LAST_SEEN] = time.time()
    request.session[IDLE_LIMIT] = idle_limit_seconds(_user(kwargs.get("user")))


def idle_limit_seconds(user: User | None) -> int:
    """The shortest idle time of the user's sites (one query, at login only, so pages pay
    nothing for it); the deployment default for a user who works at no site."""
    from clinic.models import Site  # models are not ready when middleware modules load

    shortest = Site.objects.filter(staff=user).aggregate(m=Min("staff_idle_minutes"))["m"]
    minutes = shortest if shortest is not None else settings.STAFF_SESSION_IDLE_MINUTES
    return int(minutes) * 60


def _user(value: object) -> User | None:
    return value if isinstance(value, User) else None


class StaffIdleTimeoutMiddleware:
    """After AuthenticationMiddleware: ends a session idle longer than the setting."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN)
            idle = request.session.get(IDLE_LIMIT, settings.STAFF_SESSION_IDLE_MINUTES * 60)
            if isinstance(last_seen, int | float) and now - last_seen > idle:
                logout(request)  # flushes the session; the view sees an anonymous user
                # The login page says why (MessageMiddleware runs before this one).
                messages.info(
                    request,
                    f"You were logged out after {round(idle / 60)} idle minutes.",
                    fail_silently=True,
                )
            elif not isinstance(last_seen, int | float) or (
                now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS
            ):
                request.session[LAST_SEEN] = now
        return self.get_response(request)
