"""JSON errors for /api/ paths that never reach a ninja handler.

Unknown API paths would otherwise get Django's HTML pages; API clients
are promised `{"code", "message"}` for every error (docs/api/README.md).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve


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
