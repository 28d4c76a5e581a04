"""/api/v1/patients: register, read, update and search patients of the user's sites."""

# No `from __future__ import annotations`: ninja's @paginate resolves the handler's string
# annotations in its own module and cannot see Query or the filter schemas.
import datetime as dt
from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict, StringConstraints

from clinic import selectors, services
from clinic.models import (
    ROLE_ADMIN,
    ROLE_CLINICIAN,
    ROLE_NURSE,
    ROLE_SCHEDULER,
    Patient,
)
from clinic.pagination import BoundedPagination
from clinic.permissions import require_role
from clinic.schemas import Id, InSchema

patients_router = Router(tags=["patients"])


# Same shape (and OpenAPI name) as clinic.api.ErrorOut; not imported from there because
# clinic.api imports this module while it is itself loading.
class ErrorOut(Schema):
    code: str
    message: str


READ_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, ROLE_ADMIN)
# Nurses chart sessions but do not register patients or change their records.
WRITE_ROLES = (ROLE_SCHEDULER, ROLE_CLINICIAN, ROLE_ADMIN)

Mrn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PatientOut(Schema):
    id: int
    site_id: int
    mrn: str
    given_name: str
    family_name: str
    full_name: str
    date_of_birth: dt.date
    sex: str
    phone: str
    email: str
    address: str
    rems_enrolled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientCreateIn(InSchema):
    # A misspelt field must be an error, not silently dropped from a patient's record.
    model_config = ConfigDict(extra="forbid")

    site_id: int
    mrn: Mrn
    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    sex: Annotated[str, Field(max_length=16)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    email: Annotated[str, Field(max_length=254)] = ""
    address: str = ""
    rems_enrolled: bool = False


class PatientUpdateIn(InSchema):
    """Every field optional: only the fields sent are changed. The site cannot be changed."""

    model_config = ConfigDict(extra="forbid")

    mrn: Mrn | None = None
    given_name: Name | None = None
    family_name: Name | None = None
    date_of_birth: dt.date | None = None
    sex: Annotated[str, Field(max_length=16)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    address: str | None = None
    rems_enrolled: bool | None = None


class PatientFilters(InSchema):
    q: Annotated[str, Field(max_length=selectors.MAX_QUERY_LENGTH)] = ""
    site_id: Id | None = None


@patients_router.get("", response=list[PatientOut])
@paginate(BoundedPagination)
def list_patients(request: HttpRequest, filters: Query[PatientFilters]) -> QuerySet[Patient]:
    """Patients of your sites; `q` matches the start of the MRN or part of either name."""
    require_role(request.user, *READ_ROLES, action="see patients")
    return selectors.patient_list(user=request.user, q=filters.q, site_id=filters.site_id)


@patients_router.post(
    "", response={201: PatientOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def create_patient(request: HttpRequest, payload: PatientCreateIn) -> Status[Patient]:
    """Register a patient at one of your sites. A duplicate MRN at the site is 409 mrn_taken."""
    require_role(request.user, *WRITE_ROLES, action="register patients")
    site = selectors.site_get_for_user(user=request.user, site_id=payload.site_id)
    data = payload.model_dump(exclude={"site_id"})
    return Status(201, services.patient_create(site=site, by=request.user, **data))


@patients_router.get("/{patient_id}", response={200: PatientOut, 403: ErrorOut, 404: ErrorOut})
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    require_role(request.user, *READ_ROLES, action="see patients")
    return selectors.patient_get(user=request.user, patient_id=patient_id)


@patients_router.patch(
    "/{patient_id}",
    response={200: PatientOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def update_patient(request: HttpRequest, patient_id: int, payload: PatientUpdateIn) -> Patient:
    """Change only the fields sent. Sending null for a field is the same as leaving it out."""
    require_role(request.user, *WRITE_ROLES, action="change patient records")
    patient = selectors.patient_get(user=request.user, patient_id=patient_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return services.patient_update(patient=patient, changes=changes, by=request.user)
