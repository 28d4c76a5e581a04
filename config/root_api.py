"""The root API: /api/v1/. Mounts each app's routers and maps every error to one JSON shape.

It sits above every app: config/urls.py imports it, and nothing imports it back (the routers
take ErrorOut and the auth classes from clinic/api/, the lowest layer).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from charting.api import (
    alerts,
    documents,
    monitoring_forms,
    observations,
    parameters,
    patient_link,
    patient_reports,
    scales,
    screening,
    session_chart,
    templates,
)
from clinic.api import accounts, patients
from clinic.api.auth import BearerToken, HeaderToken, StaffSession
from clinic.api.openapi_statuses import declare_edge_statuses
from clinic.api.rendering import UtcJSONRenderer
from clinic.error_codes import (
    ERR_BAD_REQUEST,
    ERR_ERROR,
    ERR_FORBIDDEN,
    ERR_INVALID,
    ERR_NOT_FOUND,
    ERR_UNAUTHENTICATED,
)
from clinic.errors import DomainError
from protocols.api import protocols
from scheduling.api import (
    availability,
    board,
    change_requests,
    courses,
    feeds,
    previews,
    replan_offers,
    sessions,
    sites,
)


class ClinicNinjaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists every status an operation can return, including
    those answered around its handler (clinic/api/openapi_statuses.py)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(*args, **kwargs)
        declare_edge_statuses(document)
        return document


class StaffSwagger(Swagger):
    """ninja's bundled Swagger UI under a bar that links back to the staff pages."""

    template = "api/docs.html"


api = ClinicNinjaAPI(
    title="Interventional clinic API",
    version="1",
    urls_namespace="api-v1",
    auth=[BearerToken(), HeaderToken(), StaffSession()],
    docs_url="/docs",
    docs=StaffSwagger(),
    openapi_url="/openapi.json",
    renderer=UtcJSONRenderer(),
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.payload(), status=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request,
        401,
        ERR_UNAUTHENTICATED,
        "Log in, or send an API token as 'Authorization: Bearer <token>'.",
    )


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, ERR_FORBIDDEN, str(exc) or "You may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, ERR_NOT_FOUND, str(exc) or "Not found.")


def _loc(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes body/query/path and the parameter name; people want the field path.
    parts = [p for p in loc if p not in ("body", "query", "path", "payload", "data", "form")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "request"


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for err in exc.errors:
        message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        problems.append(f"{_loc(err.get('loc', ()))}: {message}")
    return _error(request, 422, ERR_INVALID, "; ".join(problems) or "Invalid request.")


@api.exception_handler(DjangoValidationError)
def _django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "message_dict"):
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    else:
        message = " ".join(exc.messages)
    return _error(request, 422, ERR_INVALID, message)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {
        400: ERR_BAD_REQUEST,
        401: ERR_UNAUTHENTICATED,
        403: ERR_FORBIDDEN,
        404: ERR_NOT_FOUND,
    }
    return _error(request, exc.status_code, codes.get(exc.status_code, ERR_ERROR), exc.message)


def _charting_router() -> Router:
    # The charting areas share one parent router under /charting, tagged "charting", in the
    # order docs/api/charting.md lists them; each area module holds its own router.
    parent = Router(tags=["charting"])
    for area in (
        templates,
        session_chart,
        screening,
        observations,
        parameters,
        scales,
        alerts,
        monitoring_forms,
        documents,
        patient_reports,
    ):
        parent.add_router("", area.router)
    return parent


# One mount per prefix (but the preview's, below). Nothing imports this module but config/urls.py.
api.add_router("", accounts.router)
api.add_router("/protocols", protocols.router)
# The course preview places like a booking, so scheduling serves it (scheduling/api/previews.py).
api.add_router("/protocols", previews.router)
api.add_router("/courses", courses.router)
api.add_router("/sessions", sessions.router)
api.add_router("/sites", sites.router)
api.add_router("/patients", patients.router)
api.add_router("/board", board.router)
api.add_router("/availability", availability.router)
api.add_router("/feeds", feeds.router)
api.add_router("/charting", _charting_router())
api.add_router("/scheduling/replan-offers", replan_offers.router)
api.add_router("/change-requests", change_requests.router)
# The patient's own reports: their link token only (charting/api/patient_link.py).
api.add_router("/patient", patient_link.router)
