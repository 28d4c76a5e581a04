"""Stopping a whole course: discontinuation cancels what is not yet under way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from simple_history.utils import bulk_update_with_history

from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput, NotFound
from clinic.history import save_with_history
from clinic.permissions import can_see_site, require_role
from scheduling.error_codes import ERR_COURSE_NOT_FOUND, ERR_INVALID_TRANSITION, ERR_REASON_REQUIRED
from scheduling.models import Course, ResourceHold, Session
from scheduling.roles import BOOKERS

S = Session.Status


@dataclass
class DiscontinueResult:
    course: Course
    cancelled: list[Session]


def course_discontinue(
    *, course_id: int, reason: str, by: User, now: dt.datetime | None = None
) -> DiscontinueResult:
    """Stop a course: it becomes discontinued and every session not yet under way is cancelled
    (marked with the reason, never deleted) and frees its resources. Sessions already checked in
    or under way are left for the nurse to finish or cancel one by one."""
    now = resolve_now(now)
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for discontinuing the course.", code=ERR_REASON_REQUIRED)
    reason = reason.strip()
    course = Course.objects.filter(pk=course_id).first()
    if course is None or not can_see_site(by, course.site_id):
        raise NotFound(f"No course {course_id}.", code=ERR_COURSE_NOT_FOUND)
    require_role(by, *BOOKERS, action="discontinue a course")
    with transaction.atomic():
        # Lock the course row: a concurrent make-up booking or completion must not add to or
        # finish a course while it is being stopped.
        course = Course.objects.select_for_update().get(pk=course_id)
        if course.status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
            raise Conflict(
                f"Course {course.pk} is already {course.get_status_display().lower()}.",
                code=ERR_INVALID_TRANSITION,
                status=course.status,
            )
        sessions = list(
            Session.objects.select_for_update().filter(course=course, status=S.SCHEDULED)
        )
        for session in sessions:
            session.status = S.CANCELLED
            session.active = False
            session.status_reason = f"course discontinued: {reason}"
            session.sequence += 1
            session.updated_at = now
        bulk_update_with_history(
            sessions,
            Session,
            ["status", "active", "status_reason", "sequence", "updated_at"],
            default_user=by,
            default_date=now,
        )
        ResourceHold.objects.filter(session__in=[s.pk for s in sessions]).update(active=False)
        course.status = Course.Status.DISCONTINUED
        course.status_reason = reason
        save_with_history(course, by, update_fields=["status", "status_reason", "updated_at"])
    return DiscontinueResult(course=course, cancelled=sessions)
