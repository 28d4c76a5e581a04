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
from scheduling.error_codes import (
    ERR_COURSE_NOT_FOUND,
    ERR_EFFECTIVE_DATE_OUT_OF_RANGE,
    ERR_INVALID_TRANSITION,
    ERR_REASON_REQUIRED,
)
from scheduling.models import Course, ResourceHold, Session
from scheduling.roles import BOOKERS

S = Session.Status


@dataclass
class DiscontinueResult:
    course: Course
    cancelled: list[Session]


class _Rollback(Exception):
    def __init__(self, result: DiscontinueResult):
        super().__init__("dry run")
        self.result = result


def course_discontinue(
    *,
    course_id: int,
    reason: str,
    by: User,
    effective: dt.date | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> DiscontinueResult:
    """Stop a course: it becomes discontinued and every session not yet under way is cancelled
    (marked with the reason, never deleted) and frees its resources. Sessions already checked in
    or under way are left for the nurse to finish or cancel one by one.

    effective: a local date from today to the course's last session; only the sessions on or
    after it are cancelled, the earlier ones stay booked. dry_run: the same change, rolled back,
    to preview which sessions it cancels."""
    try:
        with transaction.atomic():
            result = _discontinue(
                course_id=course_id, reason=reason, by=by, effective=effective, now=now
            )
            if dry_run:
                raise _Rollback(result)
    except _Rollback as preview:
        return preview.result
    return result


def _discontinue(
    *, course_id: int, reason: str, by: User, effective: dt.date | None, now: dt.datetime | None
) -> DiscontinueResult:
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
            Session.objects.select_for_update()
            .filter(course=course, status=S.SCHEDULED)
            .order_by("number")
        )
        if effective is not None:
            sessions = _from_effective(course, sessions, effective, now)
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


def _from_effective(
    course: Course, sessions: list[Session], effective: dt.date, now: dt.datetime
) -> list[Session]:
    """The sessions on or after `effective` (site-local), which must be from today to the day
    of the course's last session."""
    zone = course.site.zone
    today = now.astimezone(zone).date()
    last = max(
        (s.start for s in Session.objects.filter(course=course, active=True).only("start")),
        default=None,
    )
    last_day = last.astimezone(zone).date() if last is not None else today
    if not today <= effective <= max(today, last_day):
        raise InvalidInput(
            f"The effective date must be from today ({today:%d %b %Y}) to the course's last "
            f"session ({last_day:%d %b %Y}), not {effective:%d %b %Y}.",
            code=ERR_EFFECTIVE_DATE_OUT_OF_RANGE,
        )
    return [s for s in sessions if s.start.astimezone(zone).date() >= effective]
