"""Scheduling write API: enrol (book a course), change sessions, close a site day.

Handlers are thin: parse an `XIn`, call one service, return an explicit `XOut`. The read side
(lists, detail, day board, availability) lives in scheduling/api_read.py, which adds its GET
handlers to the routers below through `register`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from clinic.api import ErrorOut
from clinic.schemas import CalendarDay, Id, InSchema, Instant
from scheduling import services
from scheduling.schemas import CourseOut, MovedSessionOut, SessionChangeOut, SessionOut

courses_router = Router(tags=["courses"])
sessions_router = Router(tags=["sessions"])
sites_router = Router(tags=["sites"])

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class EnrolIn(InSchema):
    patient_id: Id
    protocol: str = Field(..., description="protocol slug, e.g. tms-10hz-standard")
    version: int | None = Field(None, description="a version; default the latest active one")
    site_id: Id
    start_date: CalendarDay = Field(..., description="first possible day (site's local date)")
    preferred_time: str = Field(
        ...,
        description="local time HH:MM",
        json_schema_extra={"pattern": _HHMM.pattern},
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
        if not _HHMM.match(value):
            raise ValueError(
                "must be a local time as HH:MM from 00:00 to 23:59, without a UTC offset"
            )
        return value


class RescheduleIn(InSchema):
    to: Instant | None = Field(None, description="new start, with a UTC offset")
    next_valid: bool = Field(False, description="move to the next day the protocol allows")


class CancelIn(InSchema):
    reason: str = Field(..., max_length=300)


class NoShowIn(InSchema):
    reason: str = Field("", max_length=300)


class ClosureIn(InSchema):
    date: CalendarDay
    reason: str = Field(..., max_length=200)
    replan: bool = Field(True, description="move the day's sessions to their next valid day")
    dry_run: bool = Field(False, description="list affected sessions and moves, write nothing")


class ChangeOut(SessionChangeOut):
    notes: list[str] = []


class ClosureOut(Schema):
    site_id: int
    date: dt.date
    reason: str
    created: bool
    affected: list[SessionOut]
    moved: list[MovedSessionOut]
    problems: list[str]


def _moved(items: list[services.Moved]) -> list[dict[str, Any]]:
    return [
        {
            "id": m.session.pk,
            "number": m.session.number,
            "phase": m.session.phase,
            "old_start": m.old_start,
            "start": m.session.start,
            "end": m.session.end,
            "observation_end": m.session.observation_end,
            "status": m.session.status,
            "sequence": m.session.sequence,
            "added": m.added,
        }
        for m in items
    ]


def _change(change: services.SessionChange) -> dict[str, Any]:
    return {"session": change.session, "moved": _moved(change.moved), "notes": change.notes}


@courses_router.post("", response={200: CourseOut, 201: CourseOut, **_ERRORS})
def enrol(request: HttpRequest, payload: EnrolIn):
    """Enrol a patient and book the whole course (all sessions or none; 409 `unplaceable`
    names the sessions that could not be placed). `dry_run` shows the booking unsaved."""
    hour, minute = (int(x) for x in payload.preferred_time.split(":"))
    course = services.course_enrol(
        patient=payload.patient_id,
        protocol=payload.protocol,
        protocol_version=payload.version,
        site=payload.site_id,
        start_date=payload.start_date,
        preferred_time=dt.time(hour, minute),
        prescriber_id=payload.prescriber_id,
        resource_ids=payload.resource_ids,
        by=request.user,
        dry_run=payload.dry_run,
        exact=payload.exact,
    )
    return Status(200 if payload.dry_run else 201, course)


class DiscontinueIn(InSchema):
    reason: str = Field(..., max_length=300)


class DiscontinueOut(Schema):
    course_id: int
    status: str
    status_reason: str
    cancelled: list[MovedSessionOut]


@courses_router.post("/{course_id}/discontinue", response={200: DiscontinueOut, **_ERRORS})
def discontinue(request: HttpRequest, course_id: Id, payload: DiscontinueIn):
    """Stop a course (reason required): every scheduled session is cancelled and frees its
    resources; `cancelled` lists them (their `sequence` went up, so calendars update)."""
    result = services.course_discontinue(
        course_id=course_id, reason=payload.reason, by=request.user
    )
    return {
        "course_id": result.course.pk,
        "status": result.course.status,
        "status_reason": result.course.status_reason,
        "cancelled": _moved(
            [services.Moved(session=s, old_start=s.start) for s in result.cancelled]
        ),
    }


@sessions_router.post("/{session_id}/reschedule", response={200: ChangeOut, **_ERRORS})
def reschedule(request: HttpRequest, session_id: int, payload: RescheduleIn):
    """Move a session to `to`, or to the next valid day; later sessions are pushed when the
    protocol's spacing would break. `moved` lists every session whose time changed."""
    change = services.session_reschedule(
        session_id=session_id, to=payload.to, next_valid=payload.next_valid, by=request.user
    )
    return _change(change)


@sessions_router.post("/{session_id}/cancel", response={200: ChangeOut, **_ERRORS})
def cancel(request: HttpRequest, session_id: int, payload: CancelIn):
    """Cancel (reason required). TMS: a make-up session is added at the end (in `moved`)."""
    change = services.session_cancel(session_id=session_id, reason=payload.reason, by=request.user)
    return _change(change)


@sessions_router.post("/{session_id}/no_show", response={200: ChangeOut, **_ERRORS})
def no_show(request: HttpRequest, session_id: int, payload: NoShowIn | None = None):
    """Mark a no-show. TMS: a make-up session is added at the end (in `moved`)."""
    reason = payload.reason if payload is not None else ""
    change = services.session_no_show(session_id=session_id, reason=reason, by=request.user)
    return _change(change)


@sessions_router.post("/{session_id}/check_in", response={200: ChangeOut, **_ERRORS})
def check_in(request: HttpRequest, session_id: int):
    return _change(services.session_check_in(session_id=session_id, by=request.user))


@sessions_router.post("/{session_id}/start", response={200: ChangeOut, **_ERRORS})
def start(request: HttpRequest, session_id: int):
    return _change(services.session_start(session_id=session_id, by=request.user))


@sessions_router.post("/{session_id}/observe", response={200: ChangeOut, **_ERRORS})
def observe(request: HttpRequest, session_id: int):
    """In progress -> observing (protocols with an observation period)."""
    return _change(services.session_observe(session_id=session_id, by=request.user))


@sessions_router.post("/{session_id}/complete", response={200: ChangeOut, **_ERRORS})
def complete(request: HttpRequest, session_id: int):
    return _change(services.session_complete(session_id=session_id, by=request.user))


@sites_router.post("/{site_id}/closures", response={200: ClosureOut, 201: ClosureOut, **_ERRORS})
def close_day(request: HttpRequest, site_id: int, payload: ClosureIn):
    """Close the site for a day (admin or scheduler). With `replan` the day's sessions move to
    their next valid day; `dry_run` lists the affected sessions and the moves without writing."""
    result = services.site_close_day(
        site=site_id,
        date=payload.date,
        reason=payload.reason,
        replan=payload.replan,
        dry_run=payload.dry_run,
        by=request.user,
    )
    body = {
        "site_id": result.site.pk,
        "date": result.date,
        "reason": result.reason,
        "created": result.created,
        "affected": result.affected,
        "moved": _moved(result.moved),
        "problems": result.problems,
    }
    return Status(201 if result.created else 200, body)


from scheduling import api_read  # noqa: E402
from scheduling.api_replan_offers import router as replan_offers_router  # noqa: E402

if hasattr(api_read, "register"):
    api_read.register(courses_router, sessions_router)

routers = [
    ("/courses", courses_router),
    ("/sessions", sessions_router),
    ("/sites", sites_router),
    *api_read.read_routers,
    ("/scheduling/replan-offers", replan_offers_router),
]
