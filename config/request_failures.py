"""What a request gets when something below the view fails: the database, or a bug.

- The database cannot be reached, or one of the bounded waits of docs/deployment.md fired
  (connect, statement or lock timeout, the request deadline of clinic/db_deadline.py): 503 with
  `Retry-After`, JSON `database_unavailable` under /api/, an HTML page otherwise. It is the
  service's state, not the request's fault, and retrying later helps.
- Anything else unhandled: 500, JSON `server_error` under /api/, with a request id that is also
  in the log line carrying the traceback, so a user's report can be matched with it.

Every request gets an id (`X-Request-ID` in the answer); the middleware sits first in
MIDDLEWARE so its process_exception runs after every other's.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.views import defaults

from clinic.error_codes import ERR_DATABASE_UNAVAILABLE, ERR_SERVER_ERROR

logger = logging.getLogger("clinic.requests")

# Exceptions Django turns into 4xx answers (django.core.handlers.exception): not server errors.
HANDLED_BY_DJANGO = (
    Http404,
    PermissionDenied,
    BadRequest,
    SuspiciousOperation,
    MultiPartParserError,
)

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy sent is kept (so its log and ours match) only if it cannot smuggle anything.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(request: HttpRequest) -> str:
    """This request's id: the proxy's X-Request-ID when it is sane, else a new one."""
    existing = getattr(request, "request_id", None)
    if existing:
        return str(existing)
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    rid = sent if _CLIENT_ID.match(sent) else uuid.uuid4().hex
    request.request_id = rid  # type: ignore[attr-defined]
    return rid


def is_database_unavailable(exc: BaseException) -> bool:
    """The database is down, unreachable, or a timeout fired: worth a retry, not a bug.

    Django wraps psycopg2's errors: OperationalError covers a refused or lost connection and
    the statement/lock timeouts (QueryCanceled, LockNotAvailable); InterfaceError a connection
    that was already closed. SQLite's "database is locked" is an OperationalError too.
    """
    return isinstance(exc, OperationalError | InterfaceError)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    retry = settings.DB_RETRY_AFTER_SECONDS
    message = (
        f"The database is unavailable or busy right now; nothing was changed. "
        f"Try again in {retry} seconds."
    )
    response: HttpResponse
    if is_api(request):
        response = JsonResponse(
            {
                "code": ERR_DATABASE_UNAVAILABLE,
                "message": message,
                "request_id": request_id(request),
            },
            status=503,
        )
    else:
        # Rendered without the request, so no context processor queries the database.
        body = render_to_string(
            "database_unavailable.html", {"message": message, "request_id": request_id(request)}
        )
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry)
    response[REQUEST_ID_HEADER] = request_id(request)
    return response


def server_error_response(request: HttpRequest) -> HttpResponse:
    rid = request_id(request)
    if is_api(request):
        response: HttpResponse = JsonResponse(
            {
                "code": ERR_SERVER_ERROR,
                "message": f"Internal server error. It has been logged as request {rid}.",
                "request_id": rid,
            },
            status=500,
        )
    else:
        response = defaults.server_error(request)
    response[REQUEST_ID_HEADER] = rid
    return response


class RequestFailureMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request)
        response = self.get_response(request)
        response.setdefault(REQUEST_ID_HEADER, rid)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        rid = request_id(request)
        if is_database_unavailable(exc):
            # No traceback: the cause is outside the code, and the message says which.
            logger.warning(
                "request %s %s %s: database unavailable: %s: %s",
                rid,
                request.method,
                request.path,
                type(exc).__name__,
                str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            )
            return database_unavailable_response(request)
        if isinstance(exc, HANDLED_BY_DJANGO):
            return None  # a 4xx Django answers itself
        if settings.DEBUG and not is_api(request):
            return None  # Django's technical page, for the developer
        logger.error(
            "request %s %s %s: unhandled %s",
            rid,
            request.method,
            request.path,
            type(exc).__name__,
            exc_info=exc,
        )
        return server_error_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500, for failures outside any view (in a middleware). Django's request logger
    has logged the traceback; the id ties it to what the caller sees."""
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable_response(request)
    logger.error(
        "request %s %s %s: server error", request_id(request), request.method, request.path
    )
    return server_error_response(request)


class ClientErrorsWithoutTraceback(logging.Filter):
    """On django.request: a 4xx (an ordinary 403 or 404) is one line, not a traceback; a 5xx
    keeps its traceback. Django attaches the exception to its "Forbidden (Permission denied)"
    warning, which buries the real failures of a development log under expected refusals."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
