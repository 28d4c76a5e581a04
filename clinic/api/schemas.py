"""The clinic API's schemas: the one error shape every app's API returns, the account
(/me) shapes and the patient shapes. Explicit fields only: patient data leaves the server field
by field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from clinic.api.fields import CalendarDay, DisplayName, Id, InSchema, QueryIn
from clinic.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE
from clinic.selectors import MAX_QUERY_LENGTH


# Every error: a stable `code` that clients and tests match on, and a human `message`. (A
# comment, not a docstring: a docstring would become the schema's OpenAPI description.)
class ErrorOut(Schema):
    code: str
    message: str


# --- account (/me) -----------------------------------------------------------------------------


class SiteRefOut(Schema):
    id: int
    slug: str
    name: str
    timezone: str


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    superuser: bool
    sites: list[SiteRefOut]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(InSchema):
    name: str = Field(min_length=1, max_length=100)


class NewTokenOut(TokenOut):
    token: str = Field(description="The raw token. Shown once: only its hash is stored.")


# --- patients ----------------------------------------------------------------------------------

Mrn = Annotated[DisplayName, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Name = Annotated[
    DisplayName, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
Phone = Annotated[str, Field(max_length=40)]
RemsId = Annotated[
    DisplayName,
    Field(
        max_length=32,
        description="The patient's ID in the Spravato REMS programme; only with rems_enrolled",
    ),
]
CompanionName = Annotated[DisplayName, Field(max_length=100)]
# "" is no preference; the service checks that the record has the number or address it needs.
PreferredContactChoice = Literal["", "phone", "text", "email"]


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
    rems_patient_id: str
    preferred_contact: PreferredContactChoice
    companion_name: str
    companion_phone: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientCreateIn(InSchema):
    # A misspelt field must be an error, not silently dropped from a patient's record.
    model_config = ConfigDict(extra="forbid")

    site_id: Id
    mrn: Mrn
    given_name: Name
    family_name: Name
    date_of_birth: CalendarDay
    sex: Annotated[str, Field(max_length=16)] = ""
    phone: Phone = ""
    email: Annotated[str, Field(max_length=254)] = ""
    address: str = ""
    rems_enrolled: bool = False
    rems_patient_id: RemsId = ""
    preferred_contact: PreferredContactChoice = ""
    companion_name: CompanionName = ""
    companion_phone: Phone = ""


class PatientUpdateIn(InSchema):
    """Every field optional: only the fields sent are changed. The site cannot be changed."""

    model_config = ConfigDict(extra="forbid")

    mrn: Mrn | None = None
    given_name: Name | None = None
    family_name: Name | None = None
    date_of_birth: CalendarDay | None = None
    sex: Annotated[str, Field(max_length=16)] | None = None
    phone: Phone | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    address: str | None = None
    rems_enrolled: bool | None = None
    rems_patient_id: RemsId | None = None
    preferred_contact: PreferredContactChoice | None = None
    companion_name: CompanionName | None = None
    companion_phone: Phone | None = None


class PatientFilters(QueryIn):
    # No search text here: a name in a URL ends up in every access and proxy log. Searches go
    # in the body of POST /patients/search (PatientSearchIn).
    site_id: Id | None = None


class PatientSearchIn(InSchema):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Field(max_length=MAX_QUERY_LENGTH)] = Field(
        "", description="words that each match the start of the MRN or part of either name"
    )
    site_id: Id | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE


class PatientPageOut(Schema):
    items: list[PatientOut]
    count: int
    page: int
    page_size: int
    pages: int
