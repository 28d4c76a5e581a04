"""The scheduling API's schemas (the calendar feeds' are in feed_schemas.py). OpenAPI keys
schemas by name, so two with one name would overwrite each other (the read side's are named
apart: CourseSummaryOut, CourseDetailOut, CourseSessionOut).

Explicit fields only (patient data leaves the server field by field, never via `__all__`).
`CourseOut` and `SessionOut` are filled by scheduling/api/builders.py (`enrolment_out`,
`booked_session_out`), from saved rows and from the unsaved ones of a dry run alike.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

from clinic.api.fields import (
    CalendarDay,
    Id,
    InSchema,
    Instant,
    Int,
    LocalTime,
    QueryIn,
)
from protocols.api.schemas import AdjustmentOut
from scheduling.models import Course

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CourseStatus = Literal["planned", "active", "completed", "discontinued"]
ModalityName = Literal["tms", "ect", "esketamine"]


class HoldOut(Schema):
    resource_id: int
    resource_name: str
    kind: str
    part: str
    start: dt.datetime
    end: dt.datetime

    @staticmethod
    def resolve_resource_name(obj: Any) -> str:
        return obj.resource.name

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return obj.resource.kind


class SessionOut(Schema):
    id: int | None = Field(None, description="null in a dry run (nothing was written)")
    course_id: int | None = None
    patient_id: int
    site_id: int
    number: int
    phase: str
    phase_index: int
    start: dt.datetime
    end: dt.datetime = Field(..., description="end of the procedure part")
    observation_end: dt.datetime = Field(..., description="end of observation (== end if none)")
    status: str
    sequence: int
    scales_due: list[str]
    status_reason: str
    holds: list[HoldOut]


class CourseOut(Schema):
    id: int | None = Field(None, description="null in a dry run (nothing was written)")
    patient_id: int
    site_id: int
    protocol_id: int
    protocol_slug: str
    protocol_version: int
    protocol_name: str
    modality: str
    start_date: dt.date
    preferred_time: LocalTime
    status: str
    status_reason: str
    prescriber_id: int | None = None
    booked_by_id: int | None = None
    sessions: list[SessionOut]
    adjustments: list[AdjustmentOut] = Field(
        default_factory=list,
        description="sessions booked away from the asked day or time, with why (at booking)",
    )


class MovedSessionOut(Schema):
    """A session whose time changed (or that was added) by an operation."""

    id: int | None
    number: int
    phase: str
    old_start: dt.datetime | None = Field(None, description="null for an added make-up session")
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    status: str
    sequence: int
    added: bool = False


class SessionChangeOut(Schema):
    """What a change did: the session itself and every session that moved or was added."""

    session: SessionOut
    moved: list[MovedSessionOut]


# --- write side: enrolment, session changes, closures -----------------------------------------


class EnrolIn(InSchema):
    patient_id: Id
    protocol: str = Field(..., description="protocol slug, e.g. tms-10hz-standard")
    version: int | None = Field(None, description="a version; default the latest active one")
    site_id: Id
    start_date: CalendarDay = Field(..., description="first possible day (site's local date)")
    preferred_time: str = Field(
        ...,
        description="local time HH:MM",
        json_schema_extra={"pattern": HHMM.pattern},
    )
    prescriber_id: Id | None = None
    resource_ids: list[Id] = Field(
        [], description="book only on these resources (per kind), e.g. one particular chair"
    )
    dry_run: bool = Field(False, description="return the exact booking, write nothing")
    exact: bool = Field(
        False, description="book every session at its planned time or fail with slot_taken"
    )

    @field_validator("preferred_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        # A pattern error would show people a regular expression; say it in words instead.
        if not HHMM.match(value):
            raise ValueError(
                "must be a local time as HH:MM from 00:00 to 23:59, without a UTC offset"
            )
        return value


class RescheduleIn(InSchema):
    to: Instant | None = Field(None, description="new start, with a UTC offset")
    next_valid: bool = Field(False, description="move to the next day the protocol allows")


class CancelIn(InSchema):
    reason: str = Field(..., max_length=300)
    make_up: bool | None = Field(
        None,
        description="Add a make-up session at the end of the course (true) or not (false); "
        "omitted or null: the protocol's rule (TMS adds one, ECT and esketamine do not).",
    )


class RestoreIn(InSchema):
    to: dt.datetime | None = Field(
        None,
        description="Restore at this start instead (a reschedule), e.g. the `nearest` a 409 "
        "`holds_taken` named; omitted: at the session's own time.",
    )
    dry_run: bool = Field(False, description="Run the change and roll it back (a preview).")


class NoShowIn(InSchema):
    reason: str = Field("", max_length=300)


class SessionCheckInIn(InSchema):
    # Recorded as the history entry's change reason (100 characters with its prefix).
    override_reason: str = Field(
        "",
        max_length=80,
        description="clinicians only: check in outside the session's check-in window, and why",
    )


class ClosureIn(InSchema):
    date: CalendarDay
    reason: str = Field(..., max_length=200)
    replan: bool = Field(True, description="move the day's sessions to their next valid day")
    dry_run: bool = Field(False, description="list affected sessions and moves, write nothing")
    leave_unresolved: bool = Field(
        False,
        description="close the day even though some sessions cannot be re-planned: they stay "
        "booked on it, flagged until moved or cancelled (without it: 409 closure_unresolved)",
    )


class ChangeOut(SessionChangeOut):
    notes: list[str] = []


class UnresolvedOut(Schema):
    id: int
    number: int
    course_id: int
    start: dt.datetime
    reason: str


class ClosureOut(Schema):
    site_id: int
    date: dt.date
    reason: str
    created: bool
    affected: list[SessionOut]
    moved: list[MovedSessionOut]
    problems: list[str]
    unresolved: list[UnresolvedOut] = Field(
        default_factory=list,
        description="sessions left on the closed day (leave_unresolved), each with why",
    )


class DiscontinueIn(InSchema):
    reason: str = Field(..., max_length=300)
    effective_date: CalendarDay | None = Field(
        None,
        description=(
            "site-local day from today to the course's last session: only the sessions on or "
            "after it are cancelled (default: every scheduled session)"
        ),
    )
    dry_run: bool = Field(
        False, description="show which sessions would be cancelled, write nothing"
    )


class DiscontinueOut(Schema):
    course_id: int
    status: str
    status_reason: str
    cancelled: list[MovedSessionOut]
    dry_run: bool = False


class PrescriberIn(InSchema):
    prescriber_id: Id = Field(..., description="an active clinician of the course's site")
    reason: str = Field("", max_length=100, description="why (kept in the course's history)")


class PrescriberChangeOut(Schema):
    when: dt.datetime
    by: str
    old: str
    new: str
    reason: str


class PrescriberOut(Schema):
    course_id: int
    prescriber_id: int | None
    history: list[PrescriberChangeOut]


class ExtendIn(InSchema):
    phase: str = Field(..., max_length=64, description="a phase name of the course's protocol")
    count: Int = Field(..., description="how many sessions to add (1 to 30)")
    dry_run: bool = Field(False, description="show the sessions that would be added, write nothing")


class ExtendOut(Schema):
    course_id: int
    added: list[MovedSessionOut]
    dry_run: bool = False


# --- read side: course lists and detail, the day board, availability ---------------------------


class HeldResourceOut(Schema):
    resource_id: int
    resource_name: str
    kind: str
    part: str
    start: dt.datetime
    end: dt.datetime
    start_local: dt.datetime
    end_local: dt.datetime


class CourseSessionOut(Schema):
    id: int
    number: int
    phase: str
    phase_index: int
    status: str
    status_reason: str
    sequence: int
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    start_local: dt.datetime
    end_local: dt.datetime
    observation_end_local: dt.datetime
    holds: list[HeldResourceOut]


class BoardSessionOut(CourseSessionOut):
    course_id: int
    patient_id: int
    patient_name: str
    mrn: str
    modality: str
    protocol_name: str


class BoardOut(Schema):
    site_id: int
    site_name: str
    date: dt.date
    timezone: str
    resource_id: int | None
    sessions: list[BoardSessionOut]


class _CourseFields(Schema):
    id: int
    site_id: int
    patient_id: int
    patient_name: str
    mrn: str
    protocol_id: int
    protocol_name: str
    protocol_version: int
    modality: str
    status: str
    start_date: dt.date
    preferred_time: LocalTime
    sessions_total: int
    sessions_done: int
    first_start: dt.datetime | None
    last_start: dt.datetime | None


class CourseSummaryOut(_CourseFields):
    @staticmethod
    def resolve_patient_name(obj: Course) -> str:
        return obj.patient.full_name

    @staticmethod
    def resolve_mrn(obj: Course) -> str:
        return obj.patient.mrn

    @staticmethod
    def resolve_protocol_name(obj: Course) -> str:
        return obj.protocol.name

    @staticmethod
    def resolve_protocol_version(obj: Course) -> int:
        return obj.protocol.version


class CourseDetailOut(_CourseFields):
    timezone: str
    status_reason: str
    prescriber: str | None
    booked_by: str
    created_at: dt.datetime
    sessions: list[CourseSessionOut]


class CourseListFilters(QueryIn):
    site_id: Id | None = None
    patient_id: Id | None = None
    status: CourseStatus | None = None
    modality: ModalityName | None = None
    start_from: CalendarDay | None = Field(None, description="Course start date on or after")
    start_to: CalendarDay | None = Field(None, description="Course start date on or before")


class BoardQuery(QueryIn):
    site_id: Id
    date: CalendarDay = Field(..., description="Local date at the site, YYYY-MM-DD")
    resource_id: Id | None = None


class AvailabilityQuery(QueryIn):
    site_id: Id
    kind: str = Field(..., description="Resource kind, e.g. tms_chair")
    start: CalendarDay = Field(..., description="First local date, YYYY-MM-DD")
    end: CalendarDay = Field(..., description="Last local date (inclusive), YYYY-MM-DD")
    minutes: Int = Field(..., description="Slot length in minutes")
    step: Int | None = Field(None, description="Minutes between slot starts (default 15)")


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    start_local: dt.datetime
    end_local: dt.datetime


class ResourceSlotsOut(Schema):
    resource_id: int
    resource_name: str
    slots: list[SlotOut]


class AvailabilityOut(Schema):
    site_id: int
    kind: str
    start: dt.date
    end: dt.date
    minutes: int
    step: int
    timezone: str
    resources: list[ResourceSlotsOut]


# --- re-planning offers (the nightly no-show job) ---------------------------------------------


class ReplanOfferOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    session_id: int
    session_number: int
    session_start: dt.datetime
    course_id: int
    patient_name: str
    patient_mrn: str
    site_id: int
    created_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str
    result: str


class ReplanDecisionOut(Schema):
    offer: ReplanOfferOut
    moved: list[MovedSessionOut] = []
    notes: list[str] = []


class OfferFilter(QueryIn):
    status: Literal["pending", "accepted", "dismissed", "all"] = "pending"
    site_id: Id | None = None


class DismissIn(InSchema):
    note: str = Field("", max_length=500)
