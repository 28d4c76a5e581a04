"""/api/v1/courses: enrol (book a whole course), list and read courses, discontinue one,
extend one by N sessions of a phase, change its prescriber."""

# No `from __future__ import annotations`: ninja's @paginate resolves the handler's string
# annotations in its own module and cannot see Query or the filter schemas.
import datetime as dt
import json
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status
from ninja.pagination import paginate
from ninja.responses import NinjaJSONEncoder

from clinic.api.fields import Id
from clinic.api.pagination import BoundedPagination
from clinic.api.schemas import ErrorOut
from clinic.idempotency import HEADER, Answer, idempotent_change
from clinic.models import ROLES
from clinic.permissions import acting_user, require_role
from scheduling.api.builders import course_detail_out, enrolment_out, moved_out
from scheduling.api.schemas import (
    CourseDetailOut,
    CourseListFilters,
    CourseOut,
    CourseSummaryOut,
    DiscontinueIn,
    DiscontinueOut,
    EnrolIn,
    ExtendIn,
    ExtendOut,
    PrescriberIn,
    PrescriberOut,
)
from scheduling.change_results import Moved
from scheduling.course_changes import course_extend, course_prescriber_set, prescriber_history
from scheduling.courses import course_discontinue
from scheduling.enrolment import course_enrol
from scheduling.models import Course
from scheduling.selectors import CourseFilters, course_get, course_list

router = Router(tags=["courses"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description=(
            "A key of your choosing (e.g. a UUID) per booking: the same request sent again with "
            "the same key (after a dropped connection) returns the first answer instead of "
            "booking again or answering 409 overlapping_course. Kept 24 hours, per user; the "
            "same key with another request is 422 idempotency_key_reused."
        ),
    ),
]


@router.post(
    "", response={200: CourseOut, 201: CourseOut, **ERRORS}, operation_id="scheduling_api_enrol"
)
def enrol(
    request: HttpRequest, payload: EnrolIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status | HttpResponse:
    """Enrol a patient and book the whole course (all sessions or none; 409 `unplaceable`
    names the sessions that could not be placed). `dry_run` shows the booking unsaved. With
    an `Idempotency-Key`, a retry of the same request returns the first answer."""
    hour, minute = (int(x) for x in payload.preferred_time.split(":"))
    user = acting_user(request)

    def book() -> dict[str, Any]:
        enrolment = course_enrol(
            patient=payload.patient_id,
            protocol=payload.protocol,
            protocol_version=payload.version,
            site=payload.site_id,
            start_date=payload.start_date,
            preferred_time=dt.time(hour, minute),
            prescriber_id=payload.prescriber_id,
            resource_ids=payload.resource_ids,
            by=user,
            dry_run=payload.dry_run,
            exact=payload.exact,
        )
        return enrolment_out(enrolment)

    if payload.dry_run or idempotency_key is None:
        return Status(200 if payload.dry_run else 201, book())

    def book_and_answer() -> tuple[CourseOut, Answer]:
        out = CourseOut.from_orm(book())
        # The body exactly as ninja renders it (JSONRenderer), so a replay is the same bytes.
        return out, Answer(201, json.dumps(out.model_dump(), cls=NinjaJSONEncoder))

    out, answer = idempotent_change(
        key=idempotency_key,
        user=user,
        operation="scheduling_api_enrol",
        data=payload.model_dump(mode="json"),
        change=book_and_answer,
    )
    if out is None:
        return HttpResponse(
            answer.body, status=answer.status, content_type="application/json; charset=utf-8"
        )
    return Status(answer.status, out)


@router.get("", response=list[CourseSummaryOut], operation_id="scheduling_api_read_list_courses")
@paginate(BoundedPagination)
def list_courses(request: HttpRequest, filters: Query[CourseListFilters]) -> QuerySet[Course]:
    """Courses at your sites, newest start first, filtered by site, patient, status, modality
    and start-date range."""
    user = acting_user(request)
    require_role(user, *ROLES, action="see the schedule")
    return course_list(user=user, filters=CourseFilters(**filters.model_dump()))


@router.get(
    "/{course_id}",
    response={200: CourseDetailOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="scheduling_api_read_get_course",
)
def get_course(request: HttpRequest, course_id: int) -> dict[str, Any]:
    """One course with every session, its status, local times and the resources it holds."""
    user = acting_user(request)
    require_role(user, *ROLES, action="see the schedule")
    return course_detail_out(course_get(user=user, course_id=course_id))


@router.post(
    "/{course_id}/discontinue",
    response={200: DiscontinueOut, **ERRORS},
    operation_id="scheduling_api_discontinue",
)
def discontinue(request: HttpRequest, course_id: Id, payload: DiscontinueIn) -> dict[str, Any]:
    """Stop a course (reason required): every scheduled session (or, with `effective_date`,
    every one on or after that day) is cancelled and frees its resources; `cancelled` lists them
    (their `sequence` went up, so calendars update). `dry_run`: the same answer, nothing
    written."""
    result = course_discontinue(
        course_id=course_id,
        reason=payload.reason,
        effective=payload.effective_date,
        dry_run=payload.dry_run,
        by=acting_user(request),
    )
    return {
        "course_id": result.course.pk,
        "status": result.course.status,
        "status_reason": result.course.status_reason,
        "cancelled": moved_out([Moved(session=s, old_start=s.start) for s in result.cancelled]),
        "dry_run": payload.dry_run,
    }


@router.post(
    "/{course_id}/prescriber",
    response={200: PrescriberOut, **ERRORS},
    operation_id="scheduling_api_set_prescriber",
)
def set_prescriber(request: HttpRequest, course_id: Id, payload: PrescriberIn) -> dict[str, Any]:
    """Name the course's prescriber (an active clinician of its site; clinicians and
    schedulers). The change is kept in the course's history, returned oldest first."""
    course = course_prescriber_set(
        course_id=course_id,
        prescriber_id=payload.prescriber_id,
        reason=payload.reason,
        by=acting_user(request),
    )
    return {
        "course_id": course.pk,
        "prescriber_id": course.prescriber_id,
        "history": prescriber_history(course),
    }


@router.post(
    "/{course_id}/extend",
    response={200: ExtendOut, **ERRORS},
    operation_id="scheduling_api_extend",
)
def extend(request: HttpRequest, course_id: Id, payload: ExtendIn) -> dict[str, Any]:
    """Book `count` more sessions of `phase` after the course's last session (the phase's
    spacing, the site's hours, closures and free resources), all or none (409 `unplaceable`).
    422 `phase_not_in_protocol`, `extend_count_out_of_range`. `dry_run`: nothing written."""
    result = course_extend(
        course_id=course_id,
        phase=payload.phase,
        count=payload.count,
        dry_run=payload.dry_run,
        by=acting_user(request),
    )
    return {
        "course_id": result.course.pk,
        "added": moved_out([Moved(session=s, old_start=None, added=True) for s in result.added]),
        "dry_run": payload.dry_run,
    }
