"""Who may do what: staff roles (Django groups) and site membership."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from clinic.error_codes import ERR_ROLE_FORBIDDEN, ERR_SITE_NOT_FOUND, ERR_UNAUTHENTICATED
from clinic.errors import Forbidden, NotFound, Unauthenticated
from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, ROLES

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


# --- clinical readers: one rule for patients' answers and for the clinical documents -------

# Who reads clinical content: what a patient answered (scales, self-reports, check-ins, the
# alerts quoting them; charting.selectors.patient_reports.patient_answers_visible) and the
# clinical documents below. Admins read everything. A scheduler books and sees the schedule.
CLINICAL_READERS = (ROLE_NURSE, ROLE_CLINICIAN)
SCHEDULE_READERS = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)

# Every document (charting/api/documents.py) by kind: its name on a 403, and who opens it.
# docs/pages.md "Documents by role" writes the same table; tests/charting/test_document_roles.py
# reads it from there and walks every endpoint for every role.
DOCUMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "course_summary": ("the course summary", CLINICAL_READERS),
    "session_record": ("the session record", CLINICAL_READERS),
    "screening_checklist": ("a screening checklist", CLINICAL_READERS),
    "rems_form": ("the REMS monitoring form draft", CLINICAL_READERS),
    "run_sheet": ("the run sheet", SCHEDULE_READERS),
    "stored_run_sheets": ("the stored run sheets", SCHEDULE_READERS),
    "stored_run_sheet": ("a stored run sheet", SCHEDULE_READERS),
    "blank_form": ("a blank paper form", SCHEDULE_READERS),
}


def clinical_reader(user: User) -> bool:
    """May `user` read clinical content (patients' answers, clinical documents)?"""
    return bool(user_roles(user).intersection((ROLE_ADMIN, *CLINICAL_READERS)))


def document_open(user: User, kind: str) -> bool:
    """May `user` open documents of `kind` (a key of DOCUMENTS)? Pages show a link only then."""
    roles = DOCUMENTS[kind][1]
    return bool(user_roles(user).intersection((ROLE_ADMIN, *roles)))


def documents_open(user: User) -> dict[str, bool]:
    """Every document kind -> may `user` open it (the pages' link conditions)."""
    return {kind: document_open(user, kind) for kind in DOCUMENTS}


def require_document(user: User, kind: str) -> None:
    """403 with the reason unless `user` may open documents of `kind`. Call it after the
    object's site check, so another site's object stays a 404."""
    name, roles = DOCUMENTS[kind]
    require_role(user, *roles, action=f"open {name}")
