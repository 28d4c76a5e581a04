"""JSON shapes of courses and sessions, shared by the write API (api.py) and the read API.

Explicit fields only (patient data leaves the server field by field, never via `__all__`).
`SessionOut` works from a saved Session (holds read from `session.holds.all()`, so prefetch
`holds__resource` for lists) and from the unsaved sessions of a dry run (holds attached as
`session.planned_holds`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from clinic.schemas import LocalTime


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

    @staticmethod
    def resolve_holds(obj: Any) -> list[Any]:
        planned = getattr(obj, "planned_holds", None)
        if planned is not None:
            return planned
        return list(obj.holds.all())

    @staticmethod
    def resolve_scales_due(obj: Any) -> list[str]:
        return list(obj.scales_due or [])


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

    @staticmethod
    def resolve_protocol_slug(obj: Any) -> str:
        return obj.protocol.slug

    @staticmethod
    def resolve_protocol_version(obj: Any) -> int:
        return obj.protocol.version

    @staticmethod
    def resolve_protocol_name(obj: Any) -> str:
        return obj.protocol.name

    @staticmethod
    def resolve_sessions(obj: Any) -> list[Any]:
        planned = getattr(obj, "planned_sessions", None)
        if planned is not None:
            return planned
        return list(obj.sessions.all())


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
