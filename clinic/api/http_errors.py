"""JSON errors for /api/ paths that never reach a ninja handler.

Unknown API paths and unhandled exceptions would otherwise get Django's HTML pages; API clients
are promised `{"code", "message"}` for every error (docs/api/README.md).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults


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
    return JsonResponse({"code": "not_found", "message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON under /api/, Django's plain page elsewhere. The error is logged by
    Django's request logger before this runs; nothing about it is shown to the caller."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "message": "Internal server error. It has been logged."},
            status=500,
        )
    return defaults.server_error(request)
