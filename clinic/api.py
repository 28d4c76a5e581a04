"""The root API: /api/v1/. Mounts each app's router and maps every error to one JSON shape."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth
from ninja.utils import check_csrf

from clinic.errors import DomainError, Forbidden
from clinic.models import ApiToken
from clinic.tokens import hash_token


class ErrorOut(Schema):
    code: str
    message: str


def _token_user(token: str | None):
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
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = _token_user(token)
        if user is not None:
            request.user = user
        return user


class HeaderToken(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = _token_user(key)
        if user is not None:
            request.user = user
        return user


class StaffSession(SessionAuth):
    """Django session login; unsafe methods need the CSRF token (X-CSRFToken header).

    ninja's SessionAuth checks CSRF before looking at the session, so an anonymous POST got a
    CSRF 403 instead of the 401 every other anonymous call gets. Check the session first.
    """

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise Forbidden(
                "CSRF check failed: send the csrftoken cookie's value as the X-CSRFToken header, "
                "or use an API token instead of the session.",
                code="csrf_failed",
            )
        return user


api = NinjaAPI(
    title="Interventional clinic API",
    version="1",
    urls_namespace="api-v1",
    auth=[BearerToken(), HeaderToken(), StaffSession()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.payload(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request,
        401,
        "unauthenticated",
        "Log in, or send an API token as 'Authorization: Bearer <token>'.",
    )


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "You may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "Not found.")


def _loc(loc: list | tuple) -> str:
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
    return _error(request, 422, "invalid", "; ".join(problems) or "Invalid request.")


@api.exception_handler(DjangoValidationError)
def _django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "message_dict"):
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    else:
        message = " ".join(exc.messages)
    return _error(request, 422, "invalid", message)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), exc.message)


def _mount() -> None:
    from charting.api import routers as charting_routers
    from clinic.account_api import router as account_router
    from protocols.api import router as protocols_router
    from scheduling.api import routers as scheduling_routers

    api.add_router("", account_router)
    api.add_router("/protocols", protocols_router)
    for prefix, router in (*scheduling_routers, *charting_routers):
        api.add_router(prefix, router)
    api.add_router("/feeds", "scheduling.api_feeds.router")


_mount()
