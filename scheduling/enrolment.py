"""Enrolling a patient on a course: choose the protocol version, plan the course with the
engine, place every session against the site's resources and the patient's other bookings,
and book them all or nothing (one booking change: scheduling/booking_change.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q

from clinic.calendar import SiteCalendar, minute_of_day
from clinic.clock import resolve_now
from clinic.display_text import kind_name
from clinic.error_codes import ERR_PATIENT_NOT_FOUND, ERR_SITE_NOT_FOUND
from clinic.errors import Conflict, InvalidInput, NotFound
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, Patient, Resource, Site
from clinic.permissions import can_see_site, require_role
from protocols.adjustments import Adjustment, adjustments
from protocols.engine import PlannedSession, PlanningError, ResumePoint, plan_course
from protocols.error_codes import ERR_PROTOCOL_NOT_FOUND
from protocols.models import Protocol
from protocols.selectors import protocols_bookable_at, unplannable
from protocols.spec import ProtocolSpec
from scheduling.booking_change import (
    BookingChange,
    booking_transaction,
    conflict_label,
    load_site_calendar,
)
from scheduling.change_results import Enrolment
from scheduling.error_codes import (
    ERR_OUTSIDE_OPENING_HOURS,
    ERR_OVERLAPPING_COURSE,
    ERR_PATIENT_NOT_AT_SITE,
    ERR_PRESCRIBER_INVALID,
    ERR_PROTOCOL_NOT_ACTIVE,
    ERR_PROTOCOL_RETIRED,
    ERR_REMS_PATIENT_NOT_ENROLLED,
    ERR_REMS_SITE_NOT_CERTIFIED,
    ERR_RESOURCE_NOT_AT_SITE,
    ERR_RESOURCE_NOT_USABLE,
    ERR_SLOT_TAKEN,
    ERR_START_IN_PAST,
    ERR_UNPLACEABLE,
)
from scheduling.models import Course, Session
from scheduling.placement import (
    BookingResult,
    Placement,
    Placer,
    Unplaced,
    WindowExceeded,
    place_course,
)
from scheduling.roles import BOOKERS

S = Session.Status
# Previewing a course is reading protocols: any staff role (the booking itself is BOOKERS').
PREVIEW_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)


def _protocol(slug: str, version: int | None, site_id: int) -> Protocol:
    # Built-ins and the site's own protocols: another site's slug does not exist here.
    versions = list(protocols_bookable_at(site_id=site_id).filter(slug=slug).order_by("-version"))
    if not versions:
        raise NotFound(f"No protocol {slug!r}.", code=ERR_PROTOCOL_NOT_FOUND)
    if version is not None:
        match = [p for p in versions if p.version == version]
        if not match:
            raise NotFound(
                f"Protocol {slug!r} has no version {version}.", code=ERR_PROTOCOL_NOT_FOUND
            )
        chosen = match[0]
    else:
        active = [p for p in versions if p.status == Protocol.Status.ACTIVE]
        chosen = active[0] if active else versions[0]
    if chosen.status == Protocol.Status.RETIRED:
        raise InvalidInput(
            f"{chosen} is retired; enrol on a current version.", code=ERR_PROTOCOL_RETIRED
        )
    if chosen.status != Protocol.Status.ACTIVE:
        raise InvalidInput(f"{chosen} is a draft, not yet active.", code=ERR_PROTOCOL_NOT_ACTIVE)
    return chosen


def _check_preferred_time(calendar: SiteCalendar, preferred: dt.time, minutes: int) -> None:
    pref = minute_of_day(preferred)
    fits = [
        (o, c)
        for o, c in calendar.hours.values()
        if minute_of_day(o) <= pref and pref + minutes <= minute_of_day(c)
    ]
    if not fits:
        hours = (
            ", ".join(sorted({f"{o:%H:%M}-{c:%H:%M}" for o, c in calendar.hours.values()}))
            or "none"
        )
        raise InvalidInput(
            f"A {minutes}-minute session at {preferred:%H:%M} does not fit the site's opening "
            f"hours ({hours}).",
            code=ERR_OUTSIDE_OPENING_HOURS,
        )


def course_enrol(
    *,
    patient: Patient | int,
    protocol: Protocol | str,
    site: Site | int,
    start_date: dt.date,
    preferred_time: dt.time,
    by: User,
    protocol_version: int | None = None,
    prescriber_id: int | None = None,
    resource_ids: Sequence[int] = (),
    dry_run: bool = False,
    exact: bool = False,
    now: dt.datetime | None = None,
) -> Enrolment:
    """Enrol a patient: plan the course with the engine and book every session, or nothing.

    exact: every session at the engine's planned time or a 409 `slot_taken` (no nudging).
    resource_ids: book only on these resources for their kinds (e.g. the chair with the H7
    coil); each must be an active resource of the site of a kind the protocol holds.
    dry_run: the same booking, returned unsaved (ids are None); nothing is written.
    Returns the course (its start_date is its first session's local date), its sessions, their
    hold rows and the adjustments (each session placed away from the asked day or time, with
    why).
    """
    now = resolve_now(now)
    require_role(by, *BOOKERS, action="book a course")
    # One transaction from the patient row lock on: one enrolment per patient at a time, so a
    # second course of the same modality booked at the same moment (at another time of day: no
    # exclusion constraint between them) sees the first.
    with booking_transaction():
        patient = _lock_patient(patient, site, by)
        site = patient.site
        if not isinstance(protocol, Protocol):
            protocol = _protocol(protocol, protocol_version, site.pk)
        elif protocol.status != Protocol.Status.ACTIVE or protocol.site_id not in (None, site.pk):
            _protocol(protocol.slug, protocol.version, site.pk)  # raises the matching error
        spec = protocol.parsed
        check_rems(spec, patient, site)
        if start_date < now.astimezone(site.zone).date():
            raise InvalidInput(
                f"The start date {start_date} is in the past.", code=ERR_START_IN_PAST
            )
        if prescriber_id is not None:
            check_prescriber(prescriber_id, site)
        calendar = load_site_calendar(site, start_date)
        _check_preferred_time(
            calendar,
            preferred_time,
            spec.timing.procedure_minutes + spec.timing.observation_minutes,
        )
        booking, result, changes = _place(
            patient, site, spec, calendar, start_date, preferred_time, resource_ids, exact, now
        )
        course = Course(
            patient=patient,
            protocol=protocol,
            site=site,
            modality=spec.modality.value,
            start_date=min(p.start for p in result.placements).astimezone(site.zone).date(),
            preferred_time=preferred_time,
            status=Course.Status.PLANNED,
            prescriber_id=prescriber_id,
            booked_by=by,
        )
        sessions = [
            Session(
                course=course,
                patient=patient,
                site=site,
                phase=p.phase,
                phase_index=p.phase_index,
                number=p.number,
                start=p.start,
                end=p.end,
                observation_end=p.observation_end,
                status=S.SCHEDULED,
                active=True,
                sequence=0,
                scales_due=list(p.scales_due),
            )
            for p in result.placements
        ]
        holds = booking.hold_rows(result.placements, sessions)
        enrolment = Enrolment(course, sessions, holds, changes)
        if dry_run:
            return enrolment
        save_with_history(course, by)
        booking.add_sessions(sessions, holds, by=by)
    return enrolment


@dataclass(frozen=True)
class CoursePreview:
    """A course as booking would place it today, for no patient in particular."""

    protocol: Protocol
    site: Site
    placements: list[Placement]
    adjustments: list[Adjustment]


def course_preview(
    *,
    protocol: Protocol,
    site_id: int,
    start_date: dt.date,
    preferred_time: dt.time,
    by: User,
    now: dt.datetime | None = None,
) -> CoursePreview:
    """Place a course of `protocol` at the site exactly as `course_enrol` would for a patient
    with no other bookings: the same engine, the same placer (free resources, a time already
    past today moved on), the same adjustments and errors; nothing is written. (The preview
    once planned with the engine alone and showed a 09:00 that had passed at 11:30.)"""
    now = resolve_now(now)
    require_role(by, *PREVIEW_ROLES, action="see protocols")
    site = Site.objects.filter(pk=site_id).first()
    if site is None or not can_see_site(by, site_id):
        raise NotFound(f"No site {site_id}.", code=ERR_SITE_NOT_FOUND)
    if protocol.site_id not in (None, site.pk):
        # Another site's own protocol is not booked here, so it is not previewed here either.
        raise NotFound(
            f"Protocol {protocol.slug!r} is not booked at this site.", code=ERR_PROTOCOL_NOT_FOUND
        )
    spec = protocol.parsed
    if start_date < now.astimezone(site.zone).date():
        raise InvalidInput(f"The start date {start_date} is in the past.", code=ERR_START_IN_PAST)
    calendar = load_site_calendar(site, start_date)
    _check_preferred_time(
        calendar, preferred_time, spec.timing.procedure_minutes + spec.timing.observation_minutes
    )
    _booking, result, changes = _place(
        None, site, spec, calendar, start_date, preferred_time, (), False, now
    )
    return CoursePreview(protocol, site, result.placements, changes)


def _lock_patient(patient: Patient | int, site: Site | int, by: User) -> Patient:
    """The patient row under lock, with their site; 404 outside the user's sites."""
    patient_id = patient.pk if isinstance(patient, Patient) else patient
    site_id = site.pk if isinstance(site, Site) else site
    row = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("site")
        .filter(pk=patient_id)
        .first()
    )
    if row is None or not can_see_site(by, row.site_id):
        raise NotFound(f"No patient {patient_id}.", code=ERR_PATIENT_NOT_FOUND)
    if site_id != row.site_id:
        if not can_see_site(by, site_id) or not Site.objects.filter(pk=site_id).exists():
            raise NotFound(f"No site {site_id}.", code=ERR_SITE_NOT_FOUND)
        raise InvalidInput(
            f"{row.full_name} is a patient of {row.site}, not of site {site_id}.",
            code=ERR_PATIENT_NOT_AT_SITE,
        )
    return row


def check_rems(spec: ProtocolSpec, patient: Patient, site: Site) -> None:
    """The protocol's REMS requirement (`requires_rems`; Spravato: docs/clinical.md section 3)."""
    if not spec.requires_rems:
        return
    if not patient.rems_enrolled:
        raise InvalidInput(
            f"{patient.full_name} is not recorded as enrolled in the Spravato REMS programme.",
            code=ERR_REMS_PATIENT_NOT_ENROLLED,
        )
    if not site.rems_certified:
        raise InvalidInput(
            f"{site} is not recorded as certified in the Spravato REMS programme.",
            code=ERR_REMS_SITE_NOT_CERTIFIED,
        )


def _place(
    patient: Patient | None,
    site: Site,
    spec: ProtocolSpec,
    calendar: SiteCalendar,
    start_date: dt.date,
    preferred_time: dt.time,
    resource_ids: Sequence[int],
    exact: bool,
    now: dt.datetime,
) -> tuple[BookingChange, BookingResult, list[Adjustment]]:
    """Plan, load the bookings around the plan, place; widen the loaded window when placement
    wanders past it. Refuses (nothing written) when any session cannot be placed. Also returns
    what placement changed from what was asked (protocols/adjustments.py)."""

    def planner(start: dt.date, resume: ResumePoint | None) -> list[PlannedSession]:
        return plan_course(spec, start, preferred_time, calendar, resume=resume)

    skips: dict[dt.date, str] = {}
    try:
        first_plan = plan_course(spec, start_date, preferred_time, calendar, skips=skips)
    except PlanningError as exc:
        raise unplannable(exc) from exc
    first, last = first_plan[0], first_plan[-1]
    buffer = dt.timedelta(days=max(30, (last.day - first.day).days // 2))
    lo = first.start_utc - dt.timedelta(days=1)
    hi = last.observation_end_utc + buffer
    for _attempt in range(4):
        booking = BookingChange.load(
            site=site,
            spec=spec,
            calendar=calendar,
            patient_id=patient.pk if patient is not None else None,
            window=(lo, hi),
            now=now,
        )
        if patient is not None:
            check_overlapping_course(booking, patient, spec, first_plan)
        if resource_ids:
            _pin_resources(booking.placer, list(booking.resources.values()), resource_ids, site)
        missing = booking.placer.missing_kinds()
        if missing:
            names = ", ".join(kind_name(k) for k in missing)
            raise Conflict(
                f"{site} has no active {names}; no session can be placed.",
                code=ERR_UNPLACEABLE,
                sessions=[],
            )
        try:
            result = place_course(
                planner=planner,
                placer=booking.placer,
                phases=spec.phases,
                start=start_date,
                exact=exact,
            )
        except WindowExceeded:
            hi = hi + buffer * 2
            continue
        except PlanningError as exc:
            raise unplannable(exc) from exc
        if result.unplaced:
            _raise_unplaced(result.unplaced, exact)
        changes = adjustments(
            start=start_date,
            preferred=preferred_time,
            planned=first_plan,
            skips=skips,
            placed=[(p.number, p.start.astimezone(calendar.zone)) for p in result.placements],
            placer_reasons=result.reasons,
        )
        return booking, result, changes
    # Four widenings cover any course the engine can plan.
    raise Conflict("The course runs too far ahead to book.", code=ERR_UNPLACEABLE)


def check_prescriber(prescriber_id: int, site: Site) -> None:
    """The prescriber is an active clinician (or a superuser) on the site's staff."""
    ok = (
        get_user_model()
        .objects.filter(pk=prescriber_id, is_active=True, sites=site)
        .filter(Q(groups__name=ROLE_CLINICIAN) | Q(is_superuser=True))
        .exists()
    )
    if not ok:
        raise InvalidInput(
            f"User {prescriber_id} is not a clinician at {site}.", code=ERR_PRESCRIBER_INVALID
        )


def _pin_resources(
    placer: Placer, resources: list[Resource], wanted: Sequence[int], site: Site
) -> None:
    known = {r.id: r for r in resources}
    for rid in wanted:
        if rid not in known:
            row = Resource.objects.filter(pk=rid).values("site_id", "kind", "active").first()
            if row is None or row["site_id"] != site.pk:
                raise InvalidInput(
                    f"Resource {rid} is not a resource of {site}.", code=ERR_RESOURCE_NOT_AT_SITE
                )
            why = "inactive" if not row["active"] else f"a {row['kind']}, not held by this protocol"
            raise InvalidInput(f"Resource {rid} is {why}.", code=ERR_RESOURCE_NOT_USABLE)
    for kind in {known[rid].kind for rid in wanted}:
        placer.resources[kind] = [rid for rid in wanted if known[rid].kind == kind]


def check_overlapping_course(
    booking: BookingChange, patient: Patient, spec: ProtocolSpec, plan: list[PlannedSession]
) -> None:
    """A patient is on one course of a modality at a time. Judged on the other course's
    active sessions within the new course's dates (they are already loaded for placement)."""
    first, last = plan[0].start_utc, plan[-1].observation_end_utc
    live = (Course.Status.PLANNED, Course.Status.ACTIVE)
    for start, end, _sid, course_id, modality, status in booking.patient_sessions:
        if modality == spec.modality and status in live and start < last and end > first:
            raise Conflict(
                f"{patient.full_name} is already on course {course_id} ({modality}) in that "
                f"period; finish or discontinue it first.",
                code=ERR_OVERLAPPING_COURSE,
                course_id=course_id,
            )


def _raise_unplaced(unplaced: list[Unplaced], exact: bool) -> None:
    names = "; ".join(f"session {u.number} ({u.phase}, {u.day}): {u.reason}" for u in unplaced)
    details = [
        {
            "number": u.number,
            "phase": u.phase,
            "day": u.day.isoformat(),
            "reason": u.reason,
            "conflict": conflict_label(u.conflict) if u.conflict is not None else None,
        }
        for u in unplaced
    ]
    if exact:
        first = unplaced[0]
        raise Conflict(
            f"Session {first.number} cannot be booked at its time: {first.reason} "
            f"({conflict_label(first.conflict)}). Nothing was booked.",
            code=ERR_SLOT_TAKEN,
            conflicting=conflict_label(first.conflict),
            sessions=details,
        )
    raise Conflict(
        f"{len(unplaced)} session(s) could not be placed, so nothing was booked: {names}",
        code=ERR_UNPLACEABLE,
        sessions=details,
    )
