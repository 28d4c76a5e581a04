"""/api/v1/patients: register, read, update and search patients of the user's sites."""

# No `from __future__ import annotations`: ninja's @paginate resolves the handler's string
# annotations in its own module and cannot see Query or the filter schemas.
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
    PatientUpdateIn,
)
from clinic.models import (
    ROLE_ADMIN,
    ROLE_CLINICIAN,
    ROLE_NURSE,
    ROLE_SCHEDULER,
    Patient,
)
from clinic.permissions import require_role
from clinic.selectors import patient_get, patient_list, site_get_for_user
from clinic.services import patient_create, patient_update

router = Router(tags=["patients"])

READ_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, ROLE_ADMIN)
# Nurses chart sessions but do not register patients or change their records.
WRITE_ROLES = (ROLE_SCHEDULER, ROLE_CLINICIAN, ROLE_ADMIN)


@router.get("", response=list[PatientOut], operation_id="clinic_patients_api_list_patients")
@paginate(BoundedPagination)
def list_patients(request: HttpRequest, filters: Query[PatientFilters]) -> QuerySet[Patient]:
    """Patients of your sites; `q` matches the start of the MRN or part of either name."""
    require_role(request.user, *READ_ROLES, action="see patients")
    return patient_list(user=request.user, q=filters.q, site_id=filters.site_id)


@router.post(
    "",
    response={201: PatientOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="clinic_patients_api_create_patient",
)
def create_patient(request: HttpRequest, payload: PatientCreateIn) -> Status[Patient]:
    """Register a patient at one of your sites. A duplicate MRN at the site is 409 mrn_taken."""
    require_role(request.user, *WRITE_ROLES, action="register patients")
    site = site_get_for_user(user=request.user, site_id=payload.site_id)
    data = payload.model_dump(exclude={"site_id"})
    return Status(201, patient_create(site=site, by=request.user, **data))


@router.get(
    "/{patient_id}",
    response={200: PatientOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="clinic_patients_api_get_patient",
)
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    require_role(request.user, *READ_ROLES, action="see patients")
    return patient_get(user=request.user, patient_id=patient_id)


@router.patch(
    "/{patient_id}",
    response={200: PatientOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="clinic_patients_api_update_patient",
)
def update_patient(request: HttpRequest, patient_id: int, payload: PatientUpdateIn) -> Patient:
    """Change only the fields sent. Sending null for a field is the same as leaving it out."""
    require_role(request.user, *WRITE_ROLES, action="change patient records")
    patient = patient_get(user=request.user, patient_id=patient_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return patient_update(patient=patient, changes=changes, by=request.user)
