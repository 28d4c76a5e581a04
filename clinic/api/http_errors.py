"""JSON errors for /api/ paths that never reach a ninja handler.

Unknown API paths, wrong methods, oversized or non-JSON bodies would otherwise get Django's
HTML pages (or reach a handler); API clients are promised `{"code", "message"}` for every
error (docs/api/README.md).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from clinic.error_codes import (
    ERR_BODY_NOT_OBJECT,
    ERR_BODY_TOO_LARGE,
    ERR_FORBIDDEN,
    ERR_INVALID,
    ERR_INVALID_ENCODING,
    ERR_INVALID_JSON,
    ERR_METHOD_NOT_ALLOWED,
    ERR_NOT_FOUND,
    ERR_UNSUPPORTED_MEDIA_TYPE,
)


# CSRF-exempt: a POST to an unknown path with a session cookie must get this 404, not Django's
# HTML CSRF page (nothing is changed here either way).
@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    message = f"No API endpoint at {request.path}."
    if request.path.endswith("/"):
        # ninja paths have no trailing slash; say so instead of a bare 404.
        try:
            match = resolve(request.path.rstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            message += f" Did you mean {request.path.rstrip('/')} (no trailing slash)?"
    message += " The endpoints are listed at /api/v1/docs."
    return JsonResponse({"code": ERR_NOT_FOUND, "message": message}, status=404)


# --- The edge of /api/v1/: bodies, methods and sizes -----------------------------------------

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _is_json_type(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def ninja_operation_takes_body(view_func: Any, method: str) -> bool | None:
    """Whether the ninja operation behind `view_func` declares a body for `method`; None when
    the view is not a ninja one. ninja's view is a closure over its PathView."""
    try:
        path_view = inspect.getclosurevars(view_func).nonlocals.get("self")
    except TypeError:
        return None
    operations = getattr(path_view, "operations", None)
    if operations is None:
        return None
    for operation in operations:
        if method in operation.methods:
            return any(
                getattr(model, "__ninja_param_source__", None) == "body"
                for model in operation.models
            )
    return None


class NonFiniteNumber(ValueError):
    pass


def _non_finite(token: str) -> Any:
    # Python's json module reads NaN, Infinity and -Infinity (not JSON) as floats; inside a
    # free-form object (a protocol spec, observation values) no schema type would see them,
    # and PostgreSQL's jsonb cannot store them.
    raise NonFiniteNumber(token)


def body_problem(request: HttpRequest, view_func: Any) -> JsonResponse | None:
    """Why this write's body is refused before any handler runs, or None.

    A body is JSON (415 otherwise), UTF-8 (400), parseable (400), free of NaN and infinities
    (422) and an object (422); an operation without a body accepts none but an empty one or
    `{}`. Nothing has been read or
    written when these answers go out.
    """
    try:
        raw = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return api_error(
            413, ERR_BODY_TOO_LARGE, f"The request body is larger than the limit of {limit} bytes."
        )
    if not raw:
        return None
    content_type = request.content_type or ""
    if not _is_json_type(content_type):
        return api_error(
            415,
            ERR_UNSUPPORTED_MEDIA_TYPE,
            f"Send the body as JSON with 'Content-Type: application/json' "
            f"(got {content_type or 'no content type'!r}).",
        )
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return api_error(415, ERR_UNSUPPORTED_MEDIA_TYPE, "JSON bodies must be UTF-8.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return api_error(400, ERR_INVALID_ENCODING, "The request body is not valid UTF-8.")
    try:
        data = json.loads(text, parse_constant=_non_finite)
    except NonFiniteNumber as exc:
        return api_error(422, ERR_INVALID, f"Numbers must be finite: {exc} is not a JSON number.")
    except ValueError as exc:
        return api_error(400, ERR_INVALID_JSON, f"The request body is not valid JSON: {exc}.")
    if not isinstance(data, dict):
        return api_error(
            422, ERR_BODY_NOT_OBJECT, "The request body must be a JSON object ({...})."
        )
    if data and ninja_operation_takes_body(view_func, request.method or "") is False:
        names = ", ".join(sorted(map(str, data)))
        return api_error(
            422, ERR_INVALID, f"This operation takes no body; unexpected field(s): {names}."
        )
    return None


def _is_json_response(response: HttpResponse) -> bool:
    return _is_json_type(response.get("Content-Type", "").split(";")[0].strip())


def json_error_for(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The JSON shape of a 4xx that Django or ninja answered outside any handler (ninja's own
    root raises Http404, Django's CSRF page answers a POST to the docs, Django's 400 page a
    request it cannot parse): API clients are promised `{"code", "message"}` for every error."""
    status = response.status_code
    if status == 404:
        return api_not_found(request)
    if status == 405:
        allowed = response.get("Allow", "")
        json_response = api_error(
            405,
            ERR_METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed on {request.path}; allowed: {allowed}.",
        )
        json_response["Allow"] = allowed
        return json_response
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = ERR_FORBIDDEN if status == 403 else phrase.lower().replace(" ", "_").replace("-", "_")
    return api_error(status, code, f"{phrase}: {request.method} {request.path}.")


class ApiEdgeMiddleware:
    """One error shape at the edge of /api/v1/: bodies are checked before a handler runs, the
    API never parses a form, and the 4xx answers Django or ninja give outside any handler
    (404, 405, a CSRF 403) are JSON like every other."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and 400 <= response.status_code < 500
            and not _is_json_response(response)
        ):
            return json_error_for(request, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        # API bodies are JSON (checked below), never forms. Left to be parsed on first use, a
        # form type without a usable boundary (`multipart/form-data` on an empty POST) raised
        # MultiPartParserError in whatever read request.POST first: axes recording a wrong
        # token, the session's CSRF check. That was a 500 under DEBUG, an HTML 400 otherwise.
        request.POST = QueryDict()
        if request.method not in WRITE_METHODS or view_func is api_not_found:
            return None
        return body_problem(request, view_func)
