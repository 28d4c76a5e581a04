"""Read-side queries for the clinic app (patients, sites), always scoped to the user's sites."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import Model, Q, QuerySet

from clinic.error_codes import ERR_PATIENT_NOT_FOUND, ERR_SITE_NOT_FOUND, ERR_TOKEN_NOT_FOUND
from clinic.errors import NotFound
from clinic.models import ApiToken, Patient, Site
from clinic.permissions import filter_sites, require_site, user_site_ids

MAX_QUERY_LENGTH = 100

M = TypeVar("M", bound=Model)


def one_within_sites(queryset: QuerySet[M], *, user: User, pk: int, code: str, what: str) -> M:
    """Row `pk` of `queryset` if it is at one of the user's sites; 404 `code` ("No <what>
    <pk>.") for any other, existing or not: the one lookup of a session, course or record
    within the reader's sites."""
    row = filter_sites(queryset, user).filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No {what} {pk}.", code=code)
    return row


def site_get_for_user(*, user: User, site_id: int) -> Site:
    """The site, if the user belongs to it; 404 `site_not_found` otherwise (existing or not)."""
    require_site(user, site_id)
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise NotFound("No such site.", code=ERR_SITE_NOT_FOUND)
    return site


def patient_list(*, user: User, q: str = "", site_id: int | None = None) -> QuerySet[Patient]:
    """Patients of the user's sites, optionally of one site, matching `q`.

    `q` is split on spaces; every word must match the start of the MRN or part of a name, so
    "ann smi" finds Anne Smith and "MRN-00" finds MRN-001. Ordered by family then given name.
    """
    patients = filter_sites(Patient.objects.all(), user)
    if site_id is not None:
        require_site(user, site_id)
        patients = patients.filter(site_id=site_id)
    for word in q.split()[:8]:
        patients = patients.filter(
            Q(mrn__istartswith=word)
            | Q(family_name__icontains=word)
            | Q(given_name__icontains=word)
        )
    return patients.order_by("family_name", "given_name", "id")


def patient_get(*, user: User, patient_id: int) -> Patient:
    """A patient of one of the user's sites; 404 `patient_not_found` for any other."""
    patient = filter_sites(Patient.objects.all(), user).filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(f"No patient {patient_id}.", code=ERR_PATIENT_NOT_FOUND)
    return patient


def site_list_for_user(*, user: User) -> QuerySet[Site]:
    """The sites the user works at (every site for a superuser), by name."""
    site_ids = user_site_ids(user)
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(id__in=site_ids)
    return sites.order_by("name")


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, revoked ones included (the rows never hold the token)."""
    return ApiToken.objects.filter(user=user)


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own API tokens; 404 `token_not_found` for anyone else's."""
    row = ApiToken.objects.filter(user=user, id=token_id).first()
    if row is None:
        raise NotFound("You have no API token with this id.", code=ERR_TOKEN_NOT_FOUND)
    return row
