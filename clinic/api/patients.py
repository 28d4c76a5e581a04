"""/api/v1/patients: register, read, update and search patients of the user's sites."""

# No `from __future__ import annotations`: ninja's @paginate resolves the handler's string
# annotations in its own module and cannot see Query or the filter schemas.
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from clinic.api.pagination import BoundedPagination
from clinic.api.schemas import (
    ErrorOut,
    PatientCreateIn,
    PatientFilters,
    PatientOut,
    PatientPageOut,
    PatientSearchIn,
    PatientUpdateIn,
)
from clinic.error_codes import ERR_SEARCH_IN_BODY
from clinic.errors import InvalidInput
from clinic.models import (
    ROLE_ADMIN,
    ROLE_CLINICIAN,
    ROLE_NURSE,
    ROLE_SCHEDULER,
    Patient,
)
from clinic.permissions import acting_user, require_role
from clinic.selectors import patient_get, patient_list, site_get_for_user
from clinic.services import patient_create, patient_update

router = Router(tags=["patients"])

READ_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, ROLE_ADMIN)
# Nurses chart sessions but do not register patients or change their records.
WRITE_ROLES = (ROLE_SCHEDULER, ROLE_CLINICIAN, ROLE_ADMIN)


@router.get("", response=list[PatientOut], operation_id="clinic_patients_api_list_patients")
@paginate(BoundedPagination)
def list_patients(request: HttpRequest, filters: Query[PatientFilters]) -> QuerySet[Patient]:
    """Patients of your sites, by family name. To search by name or MRN, use
    POST /patients/search: search text in a URL would be written to every access log."""
    user = acting_user(request)
    require_role(user, *READ_ROLES, action="see patients")
    if "q" in request.GET:
        raise InvalidInput(
            "Search text does not go in the URL, where access logs would keep it: send "
            '{"q": ...} to POST /api/v1/patients/search.',
            code=ERR_SEARCH_IN_BODY,
        )
    return patient_list(user=user, site_id=filters.site_id)


@router.post(
    "/search",
    response={200: PatientPageOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="clinic_patients_api_search_patients",
)
def search_patients(request: HttpRequest, payload: PatientSearchIn) -> dict[str, Any]:
    """Search patients of your sites. `q` is split on spaces; every word must match the start
    of the MRN or part of a name ("ann smi" finds Anne Smith). A POST so that names stay out
    of URLs, and so out of access and proxy logs (docs/deployment.md, "Logs")."""
    user = acting_user(request)
    require_role(user, *READ_ROLES, action="see patients")
    found = patient_list(user=user, q=payload.q, site_id=payload.site_id)
    pagination = BoundedPagination.Input(page=payload.page, page_size=payload.page_size)
    return BoundedPagination().paginate_queryset(found, pagination, request)


@router.post(
    "",
    response={201: PatientOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="clinic_patients_api_create_patient",
)
def create_patient(request: HttpRequest, payload: PatientCreateIn) -> Status[Patient]:
    """Register a patient at one of your sites. A duplicate MRN at the site is 409 mrn_taken;
    another patient of the site with the same given and family names (any letter case) and
    date of birth is 409 likely_duplicate, naming that record's MRN (`details`: patient_id,
    mrn): never a second record. A rems_patient_id needs rems_enrolled (422
    rems_id_without_enrolment); a preferred_contact needs the phone or email it uses (422
    contact_missing)."""
    user = acting_user(request)
    require_role(user, *WRITE_ROLES, action="register patients")
    site = site_get_for_user(user=user, site_id=payload.site_id)
    data = payload.model_dump(exclude={"site_id"})
    return Status(201, patient_create(site=site, by=user, **data))


@router.get(
    "/{patient_id}",
    response={200: PatientOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="clinic_patients_api_get_patient",
)
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    user = acting_user(request)
    require_role(user, *READ_ROLES, action="see patients")
    return patient_get(user=user, patient_id=patient_id)


@router.patch(
    "/{patient_id}",
    response={200: PatientOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="clinic_patients_api_update_patient",
)
def update_patient(request: HttpRequest, patient_id: int, payload: PatientUpdateIn) -> Patient:
    """Change only the fields sent. Sending null for a field is the same as leaving it out.
    The rules of registration hold: changing the names or date of birth into another patient's
    of the site is 409 likely_duplicate."""
    user = acting_user(request)
    require_role(user, *WRITE_ROLES, action="change patient records")
    patient = patient_get(user=user, patient_id=patient_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return patient_update(patient=patient, changes=changes, by=user)
