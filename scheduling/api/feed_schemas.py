"""The calendar feed schemas of the scheduling API (scheduling/api/feeds.py); names kept apart
from scheduling/api/schemas.py's, as OpenAPI keys schemas by name."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from clinic.api.fields import (
    DisplayName,
    Id,
    InSchema,
    QueryIn,
)
from scheduling.feed_tokens import MAX_ALARM_MINUTES
from scheduling.models import CalendarFeed

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CourseStatus = Literal["planned", "active", "completed", "discontinued"]
ModalityName = Literal["tms", "ect", "esketamine"]


FeedKindName = Literal["patient", "companion", "staff", "resource", "site"]


class FeedCreateIn(InSchema):
    model_config = ConfigDict(extra="forbid")

    kind: FeedKindName
    patient_id: Id | None = Field(None, description="patient and companion feeds")
    site_id: Id | None = Field(None, description="staff and site feeds")
    resource_id: Id | None = Field(None, description="room feeds")
    staff_id: Id | None = Field(None, description="staff feeds of another person (admins only)")
    label: DisplayName = Field("", max_length=100, description="e.g. who a companion feed is for")
    alarm_minutes: int | None = Field(
        None, ge=0, le=MAX_ALARM_MINUTES, description="reminder; null: the site's default"
    )


class FeedListIn(QueryIn):
    model_config = ConfigDict(extra="forbid")

    kind: FeedKindName | None = None
    patient_id: Id | None = None
    active: bool | None = Field(None, description="true: live feeds only; false: revoked only")


class FeedOut(Schema):
    id: int
    kind: str
    site_id: int
    patient_id: int | None
    staff_id: int | None = Field(..., description="the staff member a staff feed belongs to")
    resource_id: int | None
    label: str
    prefix: str = Field(..., description="first characters of the token, to tell feeds apart")
    alarm_minutes: int | None
    active: bool
    created_at: dt.datetime
    created_by_id: int | None
    rotated_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_staff_id(obj: CalendarFeed) -> int | None:
        return obj.user_id


class FeedTokenOut(Schema):
    feed: FeedOut
    token: str = Field(..., description="shown once: store it now")
    url: str = Field(..., description="the https feed link")
    webcal_url: str
    page_url: str | None = Field(None, description="the patient's page (patient feeds only)")
