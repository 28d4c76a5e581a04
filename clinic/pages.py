"""What every staff page shares: role checks that answer like the API (403/404), the user's
sites, and turning a service's DomainError into a message on the page.

Pages call the same services and selectors as the API; this module holds no rules of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.errors import DomainError, Forbidden, NotFound
from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, Site
from clinic.permissions import filter_sites, require_role, user_roles

P = ParamSpec("P")
R = TypeVar("R")

# Who sees which pages. Clinical values (screening answers, observations, parameters, scales,
# alerts) are for the charting roles only; booking actions for the booking roles only: the
# same role lists as the services (scheduling BOOKERS, charting CHARTING_ROLES).
CLINICAL = (ROLE_NURSE, ROLE_CLINICIAN)
BOOKING = (ROLE_SCHEDULER, ROLE_CLINICIAN)
STAFF = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)


def require(user: Any, *roles: str, action: str) -> frozenset[str]:
    """The user's roles, or 403 (PermissionDenied) unless they hold one of `roles`."""
    try:
        require_role(user, *roles, action=action)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    return user_roles(user)


def can(user: Any, *roles: str) -> bool:
    have = user_roles(user)
    return ROLE_ADMIN in have or bool(have.intersection(roles))


def page_errors(view: Callable[P, R]) -> Callable[P, R]:
    """Map the services' NotFound/Forbidden to 404/403 pages (never a 500)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return view(*args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def user_sites(user: Any) -> list[Site]:
    return list(filter_sites(Site.objects.order_by("name", "id"), user, field="id"))


def pick_site(request: HttpRequest, sites: list[Site]) -> Site:
    """`?site=<id>` among the user's sites, else the first one; 404 for any other site."""
    raw = request.GET.get("site") or request.POST.get("site")
    if not raw:
        if not sites:
            raise Http404("You belong to no site.")
        return sites[0]
    try:
        wanted = int(raw)
    except ValueError as exc:
        raise BadRequest("site: must be a site id") from exc
    site = next((s for s in sites if s.pk == wanted), None)
    if site is None:
        raise Http404("No such site.")
    return site


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def error_text(exc: DomainError) -> str:
    """A service refusal as one line for the page."""
    return exc.message
