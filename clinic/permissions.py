"""Who may do what: staff roles (Django groups) and site membership."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from clinic.error_codes import ERR_ROLE_FORBIDDEN, ERR_SITE_NOT_FOUND, ERR_UNAUTHENTICATED
from clinic.errors import Forbidden, NotFound, Unauthenticated
from clinic.models import ROLE_ADMIN, ROLES

M = TypeVar("M", bound=Model)


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff user behind `request`.

    API authentication and `login_required` already turned anonymous callers away, so this only
    narrows `User | AnonymousUser` for the type checker; an anonymous request reaching it is a
    wiring mistake and gets the same 401 as any unauthenticated API call.
    """
    user = request.user
    if not isinstance(user, User):
        raise Unauthenticated("Sign in or send an API token.", code=ERR_UNAUTHENTICATED)
    return user


def user_roles(user: User) -> frozenset[str]:
    """The user's roles, cached on the user object for the request."""
    cached: frozenset[str] | None = getattr(user, "_clinic_roles", None)
    if cached is None:
        if not user.is_authenticated or not user.is_active:
            cached = frozenset()
        elif user.is_superuser:
            cached = frozenset(ROLES)
        else:
            cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._clinic_roles = cached  # type: ignore[attr-defined]  # per-request cache on the user
    return cached


def require_role(user: User, *roles: str, action: str = "do this") -> None:
    """Raise Forbidden unless the user has one of `roles` (admins may do everything)."""
    have = user_roles(user)
    if ROLE_ADMIN in have or have.intersection(roles):
        return
    wanted = " or ".join(roles)
    raise Forbidden(f"Only a {wanted} may {action}.", code=ERR_ROLE_FORBIDDEN)


def user_site_ids(user: User) -> frozenset[int] | None:
    """Sites the user belongs to; None means every site (superusers)."""
    if user.is_superuser:
        return None
    cached: frozenset[int] | None = getattr(user, "_clinic_site_ids", None)
    if cached is None:
        cached = frozenset(user.sites.values_list("id", flat=True))
        user._clinic_site_ids = cached  # type: ignore[attr-defined]  # per-request cache on the user
    return cached


def can_see_site(user: User, site_id: int) -> bool:
    allowed = user_site_ids(user)
    return allowed is None or site_id in allowed


def require_site(user: User, site_id: int) -> None:
    """Raise NotFound for a site the user does not belong to.

    404 rather than 403: another site's patients and sessions must not even be confirmed to exist.
    """
    allowed = user_site_ids(user)
    if allowed is not None and site_id not in allowed:
        raise NotFound("No such site.", code=ERR_SITE_NOT_FOUND)


def filter_sites(queryset: QuerySet[M], user: User, field: str = "site_id") -> QuerySet[M]:
    allowed = user_site_ids(user)
    if allowed is None:
        return queryset
    return queryset.filter(**{f"{field}__in": allowed})
