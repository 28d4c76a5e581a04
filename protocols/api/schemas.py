"""The protocols API's schemas (mounted at /api/v1/protocols). Explicit fields on every Out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Path, Schema
from pydantic import field_validator, model_validator

from clinic.api.fields import (
    SLUG_PATTERN,
    CalendarDay,
    DisplayName,
    Id,
    InSchema,
    LocalTime,
    QueryIn,
)
from protocols.models import Protocol
from protocols.spec import Modality

SlugStr = Field(..., pattern=SLUG_PATTERN, max_length=64)
# In paths too: a slug that cannot exist is a 422 naming the rule, not a lookup of NUL bytes.
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64)]
StatusName = Literal["draft", "active", "retired"]


# --- Out schemas ---------------------------------------------------------------------------


class ProtocolSummaryOut(Schema):
    id: int
    slug: str
    version: int
    modality: str
    name: str
    indication: str
    status: str
    builtin: bool
    site_id: int | None = Field(
        ..., description="the owning site; null for a built-in (read-only to all but superusers)"
    )
    in_use: bool
    total_sessions: int
    created_at: dt.datetime
    retired_at: dt.datetime | None

    @staticmethod
    def resolve_in_use(obj: Protocol) -> bool:
        annotated = getattr(obj, "is_in_use", None)
        return obj.in_use if annotated is None else bool(annotated)

    @staticmethod
    def resolve_total_sessions(obj: Protocol) -> int:
        return obj.parsed.total_sessions


class ProtocolOut(ProtocolSummaryOut):
    spec: dict[str, Any]


class PhaseSummaryOut(Schema):
    name: str
    sessions: int
    sessions_per_week: int
    sessions_per_day: int
    min_days_between: int
    max_days_between: int | None


class ValidationOut(Schema):
    valid: bool
    modality: str
    total_sessions: int
    phases: list[PhaseSummaryOut]
    resource_kinds: list[str]


class RetiredOut(Schema):
    slug: str
    retired_versions: list[int]


class PlannedSessionOut(Schema):
    phase: str
    phase_index: int
    number: int
    number_in_phase: int
    date: dt.date
    start_local: dt.datetime
    end_local: dt.datetime
    observation_end_local: dt.datetime
    start_utc: dt.datetime
    end_utc: dt.datetime
    observation_end_utc: dt.datetime
    scales_due: list[str]


ReasonCode = Literal[
    "holiday",
    "closed_day",
    "opening_hours",
    "time_passed",
    "resource_busy",
    "patient_busy",
    "spacing_rule",
]


class AdjustmentOut(Schema):
    """A session placed away from the day or local time asked for, and why (also in the
    booking's answer)."""

    number: int = Field(..., description="session number in the course")
    requested_date: dt.date = Field(..., description="local date asked for")
    requested_time: LocalTime
    date: dt.date = Field(..., description="local date placed on")
    time: LocalTime
    reason_code: ReasonCode
    reason: str = Field(..., description="why, naming e.g. the public holiday")

    @staticmethod
    def resolve_requested_date(obj: Any) -> dt.date:
        return obj.requested_day

    @staticmethod
    def resolve_date(obj: Any) -> dt.date:
        return obj.placed_day

    @staticmethod
    def resolve_time(obj: Any) -> dt.time:
        return obj.placed_time


class PreviewOut(Schema):
    slug: str
    version: int
    site_id: int
    timezone: str
    start_date: dt.date
    preferred_time: LocalTime
    total_sessions: int
    sessions: list[PlannedSessionOut]
    adjustments: list[AdjustmentOut] = Field(
        default_factory=list,
        description="sessions planned away from the asked day or time, with why",
    )


# --- In schemas ----------------------------------------------------------------------------


class ProtocolFilters(QueryIn):
    modality: Modality | None = None
    status: StatusName | None = None
    all_versions: bool = False


class ProtocolIn(InSchema):
    slug: str = SlugStr
    name: DisplayName = Field(..., min_length=1, max_length=200)
    indication: str = Field("", max_length=200)
    spec: dict[str, Any]
    status: Literal["draft", "active"] = "draft"
    site_id: Id | None = Field(
        None,
        description="the site it belongs to (one of yours); default your only site. A new "
        "version keeps its slug's site.",
    )


class SpecIn(InSchema):
    spec: dict[str, Any]


class VersionIn(InSchema):
    version: int | None = Field(None, ge=1, description="the version to retire")
    all_versions: bool = Field(
        False, description="true to retire every version not yet retired (instead of `version`)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> VersionIn:
        # Retiring everything must be asked for in so many words: an empty or mistyped body
        # used to retire every version.
        if (self.version is None) == (not self.all_versions):
            raise ValueError('send either {"version": N} or {"all_versions": true}')
        return self


class ActivateIn(InSchema):
    version: int = Field(..., ge=1)


class PreviewIn(InSchema):
    site_id: Id
    start_date: CalendarDay
    preferred_time: LocalTime
    version: int | None = Field(None, ge=1)

    @field_validator("preferred_time")
    @classmethod
    def _wall_clock(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give a local wall-clock time without a UTC offset (e.g. 09:00)")
        return value
