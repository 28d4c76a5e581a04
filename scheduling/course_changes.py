"""Changing a booked course from the course page or the API: its prescriber (with history)
and extending it by N sessions of one of its protocol's phases, placed after the course's
last session with the same planner and placer as a make-up (scheduling/session_cancellation.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet

from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput, NotFound
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN, ROLE_SCHEDULER, Site
from clinic.permissions import can_see_site, require_role
from protocols.engine import PlannedSession, PlanningError, ResumePoint, plan_course
from scheduling.availability import local_day_bounds
from scheduling.booking_change import BookingChange, booking_transaction, load_site_calendar
from scheduling.enrolment import check_prescriber
from scheduling.error_codes import (
    ERR_COURSE_NOT_FOUND,
    ERR_EXTEND_COUNT_OUT_OF_RANGE,
    ERR_INVALID_TRANSITION,
    ERR_PHASE_NOT_IN_PROTOCOL,
    ERR_UNPLACEABLE,
)
from scheduling.models import Course, Session
from scheduling.placement import WindowExceeded, place_course
from scheduling.roles import BOOKERS
from scheduling.session_reschedule import SEARCH_DAYS

S = Session.Status
# Who may change a course's prescriber: the booking roles (a scheduler fixes a wrong pick).
PRESCRIBER_ROLES = (ROLE_CLINICIAN, ROLE_SCHEDULER)
EXTEND_MAX = 30
CLOSED = (Course.Status.COMPLETED, Course.Status.DISCONTINUED)


def site_clinicians(site: Site | int) -> QuerySet[User]:
    """The users who may be a course's prescriber at `site` (the rule of `check_prescriber`)."""
    site_id = site if isinstance(site, int) else site.pk
    return (
        get_user_model()
        .objects.filter(is_active=True, sites=site_id)
        .filter(Q(groups__name=ROLE_CLINICIAN) | Q(is_superuser=True))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def person_name(user: User | None) -> str:
    if user is None:
        return "none"
    return user.get_full_name() or user.get_username()


def _course(course_id: int, by: User) -> Course:
    course = Course.objects.filter(pk=course_id).first()
    if course is None or not can_see_site(by, course.site_id):
        raise NotFound(f"No course {course_id}.", code=ERR_COURSE_NOT_FOUND)
    return course


def course_prescriber_set(
    *, course_id: int, prescriber_id: int, by: User, reason: str = ""
) -> Course:
    """Name the course's prescriber: an active clinician of the course's site. The change is
    kept in the course's history (who, when, the reason)."""
    course = _course(course_id, by)
    require_role(by, *PRESCRIBER_ROLES, action="change a course's prescriber")
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course_id)
        check_prescriber(prescriber_id, course.site)
        if course.prescriber_id == prescriber_id:
            return course
        course.prescriber_id = prescriber_id
        course._change_reason = (reason or "").strip()[:100] or "prescriber changed"  # type: ignore[attr-defined]  # read by simple-history
        save_with_history(course, by, update_fields=["prescriber", "updated_at"])
    return course


@dataclass(frozen=True)
class PrescriberChange:
    when: dt.datetime
    by: str
    old: str
    new: str
    reason: str


def prescriber_history(course: Course) -> list[PrescriberChange]:
    """Each change of the course's prescriber, oldest first (two queries)."""
    rows = list(
        course.history.order_by("history_date", "history_id").values(
            "prescriber_id", "history_date", "history_user_id", "history_change_reason"
        )
    )
    ids = {r["prescriber_id"] for r in rows} | {r["history_user_id"] for r in rows}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids - {None})}
    out: list[PrescriberChange] = []
    for before, after in itertools.pairwise(rows):
        if before["prescriber_id"] == after["prescriber_id"]:
            continue
        out.append(
            PrescriberChange(
                when=after["history_date"],
                by=person_name(users.get(after["history_user_id"])),
                old=person_name(users.get(before["prescriber_id"])),
                new=person_name(users.get(after["prescriber_id"])),
                reason=after["history_change_reason"] or "",
            )
        )
    return out


@dataclass
class ExtendResult:
    course: Course
    added: list[Session]


class _Rollback(Exception):
    def __init__(self, result: ExtendResult):
        super().__init__("dry run")
        self.result = result


def course_extend(
    *,
    course_id: int,
    phase: str,
    count: int,
    by: User,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ExtendResult:
    """Book `count` more sessions of `phase` after the course's last session, with the
    phase's spacing and weekly quota, the site's hours and closures and free resources (the
    make-up's placement). All or nothing: 409 `unplaceable` names what could not be placed.
    `dry_run`: the same booking, rolled back, to preview it."""
    now = resolve_now(now)
    course = _course(course_id, by)
    require_role(by, *BOOKERS, action="extend a course")
    spec = course.protocol.parsed
    names = [p.name for p in spec.phases]
    if phase not in names:
        raise InvalidInput(
            f"The protocol has no phase {phase!r} (its phases: {', '.join(names)}).",
            code=ERR_PHASE_NOT_IN_PROTOCOL,
        )
    if not 1 <= count <= EXTEND_MAX:
        raise InvalidInput(
            f"Add between 1 and {EXTEND_MAX} sessions, not {count}.",
            code=ERR_EXTEND_COUNT_OUT_OF_RANGE,
        )
    try:
        with booking_transaction():
            result = _extend(course, names.index(phase), count, by=by, now=now)
            if dry_run:
                raise _Rollback(result)
    except _Rollback as preview:
        return preview.result
    return result


def _extend(course: Course, index: int, count: int, *, by: User, now: dt.datetime) -> ExtendResult:
    course = Course.objects.select_for_update().select_related("site", "protocol").get(pk=course.pk)
    if course.status in CLOSED:
        raise Conflict(
            f"The course is {course.status}; no session can be added.", code=ERR_INVALID_TRANSITION
        )
    spec = course.protocol.parsed
    site = course.site
    zone = site.zone
    rows = list(Session.objects.select_for_update().filter(course=course).order_by("number"))
    active = [r for r in rows if r.active]
    last_start = max((r.start for r in active), default=now)
    last_day = last_start.astimezone(zone).date()
    week = last_day.toordinal() - last_day.weekday()
    week_count = len(
        {
            d
            for d in (r.start.astimezone(zone).date() for r in active)
            if d.toordinal() - d.weekday() == week
        }
    )
    phase = spec.phases[index]
    plan_spec = spec.model_copy(
        update={
            "phases": [phase.model_copy(update={"sessions": count, "weeks": None})],
            "outcomes": [],
        }
    )
    start = max(now.astimezone(zone).date(), last_day)
    calendar = load_site_calendar(site, start)

    def planner(day: dt.date, resume: ResumePoint | None) -> list[PlannedSession]:
        return plan_course(plan_spec, day, course.preferred_time, calendar, resume=resume)

    lo = local_day_bounds(start, zone)[0] - dt.timedelta(days=1)
    booking = BookingChange.load(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=course.patient_id,
        window=(lo, lo + dt.timedelta(days=SEARCH_DAYS + 30 + 7 * count)),
        now=now,
    )
    number = max((r.number for r in rows), default=0)
    resume = ResumePoint(
        phase_index=0,
        done_in_phase=0,
        last_day=last_day if active else None,
        number=number,
        week_count=week_count if active else 0,
    )
    try:
        result = place_course(
            planner=planner,
            placer=booking.placer,
            phases=plan_spec.phases,
            start=start,
            resume=resume,
        )
    except (PlanningError, WindowExceeded) as exc:
        raise Conflict(
            f"The sessions cannot be placed: {exc}", code=ERR_UNPLACEABLE, sessions=[]
        ) from exc
    if result.unplaced or len(result.placements) != count:
        raise Conflict(
            f"{len(result.unplaced) or count} of the {count} sessions could not be placed, so "
            "nothing was booked.",
            code=ERR_UNPLACEABLE,
            sessions=[
                {"number": u.number, "phase": u.phase, "day": u.day.isoformat(), "reason": u.reason}
                for u in result.unplaced
            ],
        )
    added = [
        Session(
            course=course,
            patient_id=course.patient_id,
            site=site,
            phase=phase.name,
            phase_index=index,
            number=number + i + 1,
            start=p.start,
            end=p.end,
            observation_end=p.observation_end,
            status=S.SCHEDULED,
            sequence=0,
            status_reason=f"added when the course was extended ({phase.name})",
        )
        for i, p in enumerate(result.placements)
    ]
    booking.add_sessions(added, booking.hold_rows(result.placements, added), by=by)
    return ExtendResult(course=course, added=added)
