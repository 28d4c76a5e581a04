"""Course and session screening: complete a checklist, override a hard stop, review
flagged items."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from charting.answers import AnswersInvalid, clean_answers, flags_for
from charting.error_codes import (
    ERR_ALREADY_OVERRIDDEN,
    ERR_ALREADY_REVIEWED,
    ERR_COURSE_CLOSED,
    ERR_HARD_STOP_NEEDS_OVERRIDE,
    ERR_NO_SCREENING_FORM,
    ERR_NOTHING_TO_OVERRIDE,
    ERR_NOTHING_TO_REVIEW,
    ERR_SCREENING_EXISTS,
    ERR_SESSION_NOT_OPEN,
    ERR_WRONG_TEMPLATE_KIND,
)
from charting.form_templates import template_current
from charting.models import FormTemplate, ScreeningResponse
from charting.recording import CHARTING_ROLES, invalid_answers
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role
from scheduling.error_codes import ERR_REASON_REQUIRED
from scheduling.models import Course, Session


def _screen(
    *,
    template: FormTemplate,
    level: str,
    course: Course,
    session: Session | None,
    answers: Any,
    by: User,
    now: dt.datetime,
) -> ScreeningResponse:
    spec = template.parsed
    if spec.kind != "screening":
        raise Conflict(
            f"{template.slug} is not a screening checklist.", code=ERR_WRONG_TEMPLATE_KIND
        )
    try:
        clean = clean_answers(spec.fields, answers, require_all=True)
    except AnswersInvalid as exc:
        raise invalid_answers(exc) from None
    hard: list[dict[str, str]] = []
    review: list[dict[str, str]] = []
    for field in spec.fields:
        for flag in flags_for(field, clean.get(field.key)):
            item = {"key": flag.key, "message": flag.message}
            # An out-of-range vital sign in a checklist is a matter for review, not an alarm.
            (hard if flag.kind == "hard_stop" else review).append(item)
    response = ScreeningResponse(
        template=template,
        level=level,
        course=course,
        session=session,
        site_id=course.site_id,
        patient_id=course.patient_id,
        answers=clean,
        hard_stops=hard,
        review_items=review,
        completed_by=by,
        completed_at=now,
    )
    try:
        with transaction.atomic():
            save_with_history(response, by)
    except IntegrityError:
        raise Conflict(
            "This screening has already been completed.", code=ERR_SCREENING_EXISTS
        ) from None
    return response


def course_screening_submit(
    *, course: Course, answers: Any, by: User, now: dt.datetime | None = None
) -> ScreeningResponse:
    """Complete the course-level screen (once per course, before the first check-in)."""
    require_role(by, *CHARTING_ROLES, action="complete screenings")
    now = resolve_now(now)
    with transaction.atomic():
        # Serialise submissions for one course (two nurses on two tablets).
        course = Course.objects.select_for_update().select_related("protocol").get(pk=course.pk)
        slug = course.protocol.parsed.forms.course_screening
        if slug is None:
            raise Conflict(
                "This course's protocol has no course screening.", code=ERR_NO_SCREENING_FORM
            )
        if course.status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
            raise Conflict(f"The course is {course.status}.", code=ERR_COURSE_CLOSED)
        if ScreeningResponse.objects.filter(course=course, level="course").exists():
            raise Conflict("The course screening is already complete.", code=ERR_SCREENING_EXISTS)
        return _screen(
            template=template_current(slug),
            level=ScreeningResponse.Level.COURSE,
            course=course,
            session=None,
            answers=answers,
            by=by,
            now=now,
        )


def session_screening_submit(
    *, session: Session, answers: Any, by: User, now: dt.datetime | None = None
) -> ScreeningResponse:
    """Complete the per-session screen (before the session starts)."""
    require_role(by, *CHARTING_ROLES, action="complete screenings")
    now = resolve_now(now)
    with transaction.atomic():
        session = (
            Session.objects.select_for_update()
            .select_related("course__protocol")
            .get(pk=session.pk)
        )
        slug = session.course.protocol.parsed.forms.session_screening
        if slug is None:
            raise Conflict(
                "This session's protocol has no per-session screening.", code=ERR_NO_SCREENING_FORM
            )
        if session.status not in (Session.Status.SCHEDULED, Session.Status.CHECKED_IN):
            raise Conflict(
                f"The session is {session.status}; screening comes before the session starts.",
                code=ERR_SESSION_NOT_OPEN,
            )
        if ScreeningResponse.objects.filter(session=session, level="session").exists():
            raise Conflict(
                "This session's screening is already complete.", code=ERR_SCREENING_EXISTS
            )
        return _screen(
            template=template_current(slug),
            level=ScreeningResponse.Level.SESSION,
            course=session.course,
            session=session,
            answers=answers,
            by=by,
            now=now,
        )


def screening_override(
    *, screening: ScreeningResponse, reason: str, by: User, now: dt.datetime | None = None
) -> ScreeningResponse:
    """A clinician clears a hard stop (and any review items) with a reason; who/when kept."""
    require_role(by, ROLE_CLINICIAN, action="override a screening hard stop")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise InvalidInput("reason: say why the hard stop is overridden.", code=ERR_REASON_REQUIRED)
    now = resolve_now(now)
    with transaction.atomic():
        screening = ScreeningResponse.objects.select_for_update().get(pk=screening.pk)
        if not screening.hard_stops:
            raise Conflict(
                "This screening has no hard stop to override.", code=ERR_NOTHING_TO_OVERRIDE
            )
        if screening.override_at is not None:
            raise Conflict(
                "The hard stop has already been overridden.", code=ERR_ALREADY_OVERRIDDEN
            )
        screening.override_by = by
        screening.override_at = now
        screening.override_reason = reason
        return save_with_history(screening, by)


def screening_review(
    *, screening: ScreeningResponse, note: str = "", by: User, now: dt.datetime | None = None
) -> ScreeningResponse:
    """A clinician reviews a screening's flagged items (not hard stops: those need override)."""
    require_role(by, ROLE_CLINICIAN, action="review screenings")
    now = resolve_now(now)
    with transaction.atomic():
        screening = ScreeningResponse.objects.select_for_update().get(pk=screening.pk)
        if screening.hard_stops and screening.override_at is None:
            raise Conflict(
                "This screening has a hard stop: a clinician must override it with a reason.",
                code=ERR_HARD_STOP_NEEDS_OVERRIDE,
            )
        if not screening.review_items:
            raise Conflict("Nothing on this screening needs review.", code=ERR_NOTHING_TO_REVIEW)
        if screening.reviewed_at is not None:
            raise Conflict("This screening has already been reviewed.", code=ERR_ALREADY_REVIEWED)
        screening.reviewed_by = by
        screening.reviewed_at = now
        screening.review_note = (note or "").strip()
        return save_with_history(screening, by)
