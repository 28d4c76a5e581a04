"""Enrolling a patient on a course: choose the protocol version, plan the course with the
engine, place every session against the site's resources and the patient's other
bookings, and book them all or nothing.

Double booking is prevented twice: in the service (checks inside the transaction; on SQLite the
write lock is taken at BEGIN because settings use transaction_mode IMMEDIATE, so two bookings
cannot interleave) and, on PostgreSQL, by exclusion constraints (migration 0002) that reject a
concurrent transaction's overlapping hold; that IntegrityError becomes 409 "slot_taken".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q

from clinic.errors import Conflict, InvalidInput, NotFound
from clinic.models import ROLE_CLINICIAN, Patient, Resource, Site
from clinic.permissions import require_role
from protocols.calendar import SiteCalendar
from protocols.engine import PlanningError, ResumePoint, plan_course
from protocols.models import Protocol
from protocols.spec import Modality, ProtocolSpec
from scheduling.booking import Placer, WindowExceeded, place_course
from scheduling.models import Course, ResourceHold, Session
from scheduling.placing import Loaded, _hold_objects, _is_booking_race, _load_placer, _Race
from scheduling.service_support import (
    BOOKERS,
    ERR_SLOT_TAKEN,
    ERR_UNPLACEABLE,
    S,
    _calendar,
    _label,
    _minutes,
    _now,
    _visible,
)


def _protocol(slug: str, version: int | None) -> Protocol:
    versions = list(Protocol.objects.filter(slug=slug).order_by("-version"))
    if not versions:
        raise NotFound(f"No protocol {slug!r}.", code="protocol_not_found")
    if version is not None:
        match = [p for p in versions if p.version == version]
        if not match:
            raise NotFound(
                f"Protocol {slug!r} has no version {version}.", code="protocol_not_found"
            )
        chosen = match[0]
    else:
        active = [p for p in versions if p.status == Protocol.Status.ACTIVE]
        chosen = active[0] if active else versions[0]
    if chosen.status == Protocol.Status.RETIRED:
        raise InvalidInput(
            f"{chosen} is retired; enrol on a current version.", code="protocol_retired"
        )
    if chosen.status != Protocol.Status.ACTIVE:
        raise InvalidInput(f"{chosen} is a draft, not yet active.", code="protocol_not_active")
    return chosen


def _check_preferred_time(calendar: SiteCalendar, preferred: dt.time, minutes: int) -> None:
    pref = _minutes(preferred)
    fits = [
        (o, c)
        for o, c in calendar.hours.values()
        if _minutes(o) <= pref and pref + minutes <= _minutes(c)
    ]
    if not fits:
        hours = (
            ", ".join(sorted({f"{o:%H:%M}-{c:%H:%M}" for o, c in calendar.hours.values()}))
            or "none"
        )
        raise InvalidInput(
            f"A {minutes}-minute session at {preferred:%H:%M} does not fit the site's opening "
            f"hours ({hours}).",
            code="outside_opening_hours",
        )


def course_enrol(
    *,
    patient: Patient | int,
    protocol: Protocol | str,
    site: Site | int,
    start_date: dt.date,
    preferred_time: dt.time,
    by: Any,
    protocol_version: int | None = None,
    prescriber_id: int | None = None,
    resource_ids: Sequence[int] = (),
    dry_run: bool = False,
    exact: bool = False,
    now: dt.datetime | None = None,
) -> Course:
    """Enrol a patient: plan the course with the engine and book every session, or nothing.

    exact: every session at the engine's planned time or a 409 `slot_taken` (no nudging).
    resource_ids: book only on these resources for their kinds (e.g. the chair with the H7
    coil); each must be an active resource of the site of a kind the protocol holds.
    dry_run: the same booking, returned unsaved (ids are None); nothing is written.
    Returns the course with `planned_sessions` (each with `planned_holds`) attached.
    """
    now = _now(now)
    require_role(by, *BOOKERS, action="book a course")
    try:
        # The whole enrolment is one transaction from the patient row lock on: one enrolment
        # per patient at a time, so a second course of the same modality booked at the same
        # moment (at another time of day: no exclusion constraint between them) sees the first.
        with transaction.atomic():
            return _enrol(
                patient=patient,
                protocol=protocol,
                site=site,
                start_date=start_date,
                preferred_time=preferred_time,
                by=by,
                protocol_version=protocol_version,
                prescriber_id=prescriber_id,
                resource_ids=resource_ids,
                dry_run=dry_run,
                exact=exact,
                now=now,
            )
    except _Race as race:
        race.to_conflict()
        raise  # pragma: no cover - to_conflict always raises


def _enrol(
    *,
    patient: Patient | int,
    protocol: Protocol | str,
    site: Site | int,
    start_date: dt.date,
    preferred_time: dt.time,
    by: Any,
    protocol_version: int | None = None,
    prescriber_id: int | None = None,
    resource_ids: Sequence[int] = (),
    dry_run: bool = False,
    exact: bool = False,
    now: dt.datetime,
) -> Course:
    patient_id = patient.pk if isinstance(patient, Patient) else patient
    site_id = site.pk if isinstance(site, Site) else site
    row = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("site")
        .filter(pk=patient_id)
        .first()
    )
    if row is None or not _visible(by, row.site_id):
        raise NotFound(f"No patient {patient_id}.", code="patient_not_found")
    patient = row
    if site_id != patient.site_id:
        if not _visible(by, site_id) or not Site.objects.filter(pk=site_id).exists():
            raise NotFound(f"No site {site_id}.", code="site_not_found")
        raise InvalidInput(
            f"{patient.full_name} is a patient of {patient.site}, not of site {site_id}.",
            code="patient_not_at_site",
        )
    site = patient.site
    if not isinstance(protocol, Protocol):
        protocol = _protocol(protocol, protocol_version)
    elif protocol.status != Protocol.Status.ACTIVE:
        _protocol(protocol.slug, protocol.version)  # raises the matching error
    spec = protocol.parsed
    if spec.modality == Modality.ESKETAMINE:
        # Spravato REMS (CLINICAL.md §3): only enrolled patients, only at certified sites.
        if not patient.rems_enrolled:
            raise InvalidInput(
                f"{patient.full_name} is not recorded as enrolled in the Spravato REMS programme.",
                code="rems_patient_not_enrolled",
            )
        if not site.rems_certified:
            raise InvalidInput(
                f"{site} is not recorded as certified in the Spravato REMS programme.",
                code="rems_site_not_certified",
            )
    if start_date < now.astimezone(site.zone).date():
        raise InvalidInput(f"The start date {start_date} is in the past.", code="start_in_past")
    if prescriber_id is not None:
        _check_prescriber(prescriber_id, site)
    calendar = _calendar(site, start_date)
    minutes = spec.timing.procedure_minutes + spec.timing.observation_minutes
    _check_preferred_time(calendar, preferred_time, minutes)

    def planner(start: dt.date, resume: ResumePoint | None):
        return plan_course(spec, start, preferred_time, calendar, resume=resume)

    try:
        first_plan = planner(start_date, None)
    except PlanningError as exc:
        raise InvalidInput(exc.message, code="unplannable", rule=exc.rule) from exc
    first, last = first_plan[0], first_plan[-1]

    span_days = (last.day - first.day).days
    buffer = dt.timedelta(days=max(30, span_days // 2))
    lo = first.start_utc - dt.timedelta(days=1)
    hi = last.observation_end_utc + buffer
    for _attempt in range(4):
        loaded = _load_placer(
            site=site,
            spec=spec,
            calendar=calendar,
            patient_id=patient.pk,
            window=(lo, hi),
            now=now,
        )
        _check_overlapping_course(loaded, patient, spec, first_plan)
        placer, resources = loaded.placer, loaded.resources
        if resource_ids:
            _pin_resources(placer, resources, resource_ids, site)
        missing = placer.missing_kinds()
        if missing:
            raise Conflict(
                f"{site} has no active {', '.join(missing)}; no session can be placed.",
                code=ERR_UNPLACEABLE,
                sessions=[],
            )
        try:
            result = place_course(
                planner=planner,
                placer=placer,
                phases=spec.phases,
                start=start_date,
                exact=exact,
            )
            break
        except WindowExceeded:
            hi = hi + buffer * 2
        except PlanningError as exc:
            raise InvalidInput(exc.message, code="unplannable", rule=exc.rule) from exc
    else:  # pragma: no cover - four widenings cover any course the engine can plan
        raise Conflict("The course runs too far ahead to book.", code=ERR_UNPLACEABLE)
    if result.unplaced:
        _raise_unplaced(result.unplaced, exact)
    course = Course(
        patient=patient,
        protocol=protocol,
        site=site,
        modality=spec.modality.value,
        start_date=start_date,
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
    holds = _hold_objects(result.placements, sessions, {r.id: r for r in resources})
    course.planned_sessions = sessions
    if dry_run:
        return course
    try:
        course._history_user = by
        course.save()
        Session.objects.bulk_create(sessions)
        Session.history.bulk_history_create(sessions, default_user=by)
        ResourceHold.objects.bulk_create(holds)
    except (IntegrityError, OperationalError) as exc:
        if not _is_booking_race(exc):
            raise
        spans = [(p.start, p.observation_end) for p in result.placements]
        all_holds = [h for p in result.placements for h in p.holds]
        raise _Race(exc, all_holds, spans, patient.pk) from exc
    return course


def _check_prescriber(prescriber_id: int, site: Site) -> None:
    """The prescriber is an active clinician (or a superuser) on the site's staff."""
    from django.contrib.auth import get_user_model

    ok = (
        get_user_model()
        .objects.filter(pk=prescriber_id, is_active=True, sites=site)
        .filter(Q(groups__name=ROLE_CLINICIAN) | Q(is_superuser=True))
        .exists()
    )
    if not ok:
        raise InvalidInput(
            f"User {prescriber_id} is not a clinician at {site}.", code="prescriber_invalid"
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
                    f"Resource {rid} is not a resource of {site}.", code="resource_not_at_site"
                )
            why = "inactive" if not row["active"] else f"a {row['kind']}, not held by this protocol"
            raise InvalidInput(f"Resource {rid} is {why}.", code="resource_not_usable")
    for kind in {known[rid].kind for rid in wanted}:
        placer.resources[kind] = [rid for rid in wanted if known[rid].kind == kind]


def _check_overlapping_course(loaded: Loaded, patient: Patient, spec: ProtocolSpec, plan) -> None:
    """A patient is on one course of a modality at a time. Judged on the other course's
    active sessions within the new course's dates (they are already loaded for placement)."""
    first, last = plan[0].start_utc, plan[-1].observation_end_utc
    live = (Course.Status.PLANNED, Course.Status.ACTIVE)
    for start, end, _sid, course_id, modality, status in loaded.patient_sessions:
        if modality == spec.modality and status in live and start < last and end > first:
            raise Conflict(
                f"{patient.full_name} is already on course {course_id} ({modality}) in that "
                f"period; finish or discontinue it first.",
                code="overlapping_course",
                course_id=course_id,
            )


def _raise_unplaced(unplaced, exact: bool) -> None:
    names = "; ".join(f"session {u.number} ({u.phase}, {u.day}): {u.reason}" for u in unplaced)
    details = [
        {
            "number": u.number,
            "phase": u.phase,
            "day": u.day.isoformat(),
            "reason": u.reason,
            "conflict": _label(u.conflict) if u.conflict is not None else None,
        }
        for u in unplaced
    ]
    if exact:
        first = unplaced[0]
        raise Conflict(
            f"Session {first.number} cannot be booked at its time: {first.reason} "
            f"({_label(first.conflict)}). Nothing was booked.",
            code=ERR_SLOT_TAKEN,
            conflicting=_label(first.conflict),
            sessions=details,
        )
    raise Conflict(
        f"{len(unplaced)} session(s) could not be placed, so nothing was booked: {names}",
        code=ERR_UNPLACEABLE,
        sessions=details,
    )
