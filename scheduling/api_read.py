"""The read side of the staff API: course list and detail, the day board, availability, and
(mounted from clinic/patients_api.py) patients.

scheduling/api.py owns the /courses and /sessions routers and calls `register` to add the read
handlers to them, so each prefix is mounted once; `read_routers` are the prefixes owned here.
"""

# No `from __future__ import annotations`: ninja's @paginate resolves the handler's string
# annotations in its own module and cannot see Query or the filter schemas.
import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER
from clinic.pagination import BoundedPagination
from clinic.patients_api import ErrorOut, patients_router
from clinic.permissions import require_role
from clinic.schemas import CalendarDay, Id, InSchema, LocalTime
from scheduling import selectors
from scheduling.models import Course, ResourceHold, Session

READ_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, ROLE_ADMIN)

CourseStatus = Literal["planned", "active", "completed", "discontinued"]
ModalityName = Literal["tms", "ect", "esketamine"]


def _require_reader(request: HttpRequest) -> None:
    require_role(request.user, *READ_ROLES, action="see the schedule")


# Schemas ------------------------------------------------------------------------------------
# Names are distinct from the write side's (CourseOut, SessionOut): OpenAPI keys schemas by name.


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


class CourseListFilters(InSchema):
    site_id: Id | None = None
    patient_id: Id | None = None
    status: CourseStatus | None = None
    modality: ModalityName | None = None
    start_from: dt.date | None = Field(None, description="Course start date on or after")
    start_to: dt.date | None = Field(None, description="Course start date on or before")


class BoardQuery(InSchema):
    site_id: Id
    date: CalendarDay = Field(..., description="Local date at the site, YYYY-MM-DD")
    resource_id: Id | None = None


class AvailabilityQuery(InSchema):
    site_id: Id
    kind: str = Field(..., description="Resource kind, e.g. tms_chair")
    start: CalendarDay = Field(..., description="First local date, YYYY-MM-DD")
    end: CalendarDay = Field(..., description="Last local date (inclusive), YYYY-MM-DD")
    minutes: int = Field(..., description="Slot length in minutes")
    step: int | None = Field(None, description="Minutes between slot starts (default 15)")


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


# Serialisation helpers: local times need the site's zone, which the schemas cannot know.


def _hold_out(hold: ResourceHold, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "resource_id": hold.resource_id,
        "resource_name": hold.resource.name,
        "kind": hold.resource.kind,
        "part": hold.part,
        "start": hold.start,
        "end": hold.end,
        "start_local": hold.start.astimezone(zone),
        "end_local": hold.end.astimezone(zone),
    }


def _session_out(session: Session, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": session.pk,
        "number": session.number,
        "phase": session.phase,
        "phase_index": session.phase_index,
        "status": session.status,
        "status_reason": session.status_reason,
        "sequence": session.sequence,
        "start": session.start,
        "end": session.end,
        "observation_end": session.observation_end,
        "start_local": session.start.astimezone(zone),
        "end_local": session.end.astimezone(zone),
        "observation_end_local": session.observation_end.astimezone(zone),
        "holds": [_hold_out(h, zone) for h in session.holds.all()],
    }


# Handlers -----------------------------------------------------------------------------------


def list_courses(request: HttpRequest, filters: Query[CourseListFilters]) -> QuerySet[Course]:
    """Courses at your sites, newest start first, filtered by site, patient, status, modality
    and start-date range."""
    _require_reader(request)
    return selectors.course_list(
        user=request.user, filters=selectors.CourseFilters(**filters.model_dump())
    )


def get_course(request: HttpRequest, course_id: int) -> dict[str, Any]:
    """One course with every session, its status, local times and the resources it holds."""
    _require_reader(request)
    course = selectors.course_get(user=request.user, course_id=course_id)
    zone = course.site.zone
    sessions = list(course.sessions.all())
    starts = [s.start for s in sessions if s.active]
    return {
        "id": course.pk,
        "site_id": course.site_id,
        "patient_id": course.patient_id,
        "patient_name": course.patient.full_name,
        "mrn": course.patient.mrn,
        "protocol_id": course.protocol_id,
        "protocol_name": course.protocol.name,
        "protocol_version": course.protocol.version,
        "modality": course.modality,
        "status": course.status,
        "start_date": course.start_date,
        "preferred_time": course.preferred_time,
        "sessions_total": sum(s.active for s in sessions),
        "sessions_done": sum(s.status == Session.Status.COMPLETED for s in sessions),
        "first_start": min(starts, default=None),
        "last_start": max(starts, default=None),
        "timezone": course.site.timezone,
        "status_reason": course.status_reason,
        "prescriber": course.prescriber.get_username() if course.prescriber else None,
        "booked_by": course.booked_by.get_username(),
        "created_at": course.created_at,
        "sessions": [_session_out(s, zone) for s in sessions],
    }


def register(courses_router: Router, sessions_router: Router) -> None:
    """Add the read handlers to the write side's routers (called once by scheduling/api.py)."""
    courses_router.get("", response=list[CourseSummaryOut])(
        paginate(BoundedPagination)(list_courses)
    )
    courses_router.get(
        "/{course_id}", response={200: CourseDetailOut, 403: ErrorOut, 404: ErrorOut}
    )(get_course)


board_router = Router(tags=["board"])
availability_router = Router(tags=["availability"])


@board_router.get("", response={200: BoardOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def day_board(request: HttpRequest, query: Query[BoardQuery]) -> dict[str, Any]:
    """The day board: every session starting on a local date at a site (or holding one
    resource), with patient, phase, status, local times and held resources. Not paginated: a
    day is bounded, and the board is read whole."""
    _require_reader(request)
    board = selectors.day_board(
        user=request.user, site_id=query.site_id, day=query.date, resource_id=query.resource_id
    )
    zone = board.site.zone
    sessions = []
    for session in board.sessions:
        row = _session_out(session, zone)
        row.update(
            course_id=session.course_id,
            patient_id=session.patient_id,
            patient_name=session.patient.full_name,
            mrn=session.patient.mrn,
            modality=session.course.modality,
            protocol_name=session.course.protocol.name,
        )
        sessions.append(row)
    return {
        "site_id": board.site.pk,
        "site_name": board.site.name,
        "date": board.day,
        "timezone": board.site.timezone,
        "resource_id": board.resource.pk if board.resource else None,
        "sessions": sessions,
    }


@availability_router.get(
    "", response={200: AvailabilityOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def get_availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> dict[str, Any]:
    """Free slots of `minutes` per active resource of `kind`, local dates `start`..`end`
    (at most 31 days), inside opening hours, off closures and holidays, from now on."""
    _require_reader(request)
    result = selectors.availability(
        user=request.user,
        site_id=query.site_id,
        kind=query.kind,
        first=query.start,
        last=query.end,
        minutes=query.minutes,
        step_minutes=query.step,
    )
    zone = result.site.zone
    return {
        "site_id": result.site.pk,
        "kind": result.kind,
        "start": result.first,
        "end": result.last,
        "minutes": result.minutes,
        "step": result.step_minutes,
        "timezone": result.site.timezone,
        "resources": [
            {
                "resource_id": r.pk,
                "resource_name": r.name,
                "slots": [
                    {
                        "start": s.start,
                        "end": s.end,
                        "start_local": s.start.astimezone(zone),
                        "end_local": s.end.astimezone(zone),
                    }
                    for s in result.slots[r.pk]
                ],
            }
            for r in result.resources
        ],
    }


read_routers: list[tuple[str, Router]] = [
    ("/patients", patients_router),
    ("/board", board_router),
    ("/availability", availability_router),
]
