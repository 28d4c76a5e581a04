"""Booking and changing courses: the only code that writes courses, sessions and holds.

Every service is keyword-only, runs in `transaction.atomic()` and takes `now` so tests can
travel in time. Placement itself is pure (scheduling/booking.py); services load what it needs
in a constant number of queries, place in memory, then write with bulk operations.

Double booking is prevented twice: in the service (checks inside the transaction; on SQLite the
write lock is taken at BEGIN because settings use transaction_mode IMMEDIATE, so two bookings
cannot interleave) and, on PostgreSQL, by exclusion constraints (migration 0002) that reject a
concurrent transaction's overlapping hold; that IntegrityError becomes 409 "slot_taken".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import FilteredRelation, Q
from django.db.models import prefetch_related_objects as prefetch
from django.utils import timezone

from clinic.errors import Conflict, DomainError, InvalidInput, NotFound
from clinic.models import (
    ROLE_ADMIN,
    ROLE_CLINICIAN,
    ROLE_NURSE,
    ROLE_SCHEDULER,
    Closure,
    Patient,
    Resource,
    Site,
)
from clinic.permissions import require_role, user_site_ids
from protocols.calendar import SiteCalendar
from protocols.engine import PlanningError, ResumePoint, plan_course
from protocols.models import Protocol
from protocols.spec import Modality, ProtocolSpec
from scheduling.availability import local_day_bounds
from scheduling.booking import (
    Booked,
    HoldPlan,
    Placement,
    Placer,
    Timeline,
    WindowExceeded,
    local_instant,
    place_course,
    replace_booked,
    spacing_problem,
    week_days,
)
from scheduling.models import Course, ResourceHold, Session

ERR_SLOT_TAKEN = "slot_taken"
ERR_UNPLACEABLE = "unplaceable"
ERR_INVALID_TRANSITION = "invalid_transition"
ERR_PROTOCOL_RULE = "protocol_rule"

BOOKERS = (ROLE_SCHEDULER, ROLE_CLINICIAN)
# Who may move a session along on the day (check-in also happens at the front desk).
CHECK_IN_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)
CARE_ROLES = (ROLE_NURSE, ROLE_CLINICIAN)
# Kinds held only where the site models them at all (no rows of that kind: not held; rows but
# none active: nothing free). A clinic that does not track TMS devices books chairs only.
OPTIONAL_KINDS = frozenset({"tms_device"})
# A search for "the next valid day" gives up after this many days.
SEARCH_DAYS = 60

S = Session.Status


# --- small helpers ------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _visible(by: Any, site_id: int) -> bool:
    allowed = user_site_ids(by)
    return allowed is None or site_id in allowed


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must include a UTC offset, e.g. 2026-12-01T09:00:00-05:00 or ...Z.",
            code="naive_datetime",
        )
    return value


def _label(conflict: Hashable | None) -> str:
    if isinstance(conflict, int):
        return f"session {conflict}"
    if isinstance(conflict, tuple) and len(conflict) == 2:
        return f"session {conflict[1]} of this course"
    return "another booking"


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _calendar(site: Site, start: dt.date) -> SiteCalendar:
    prefetch([site], "opening_hours", "closures")
    return site.calendar(start)


@dataclass
class Loaded:
    placer: Placer
    resources: list[Resource]
    # The patient's active sessions in the window: (start, observation_end, id, course_id,
    # course modality, course status); enrolment checks overlapping courses on them.
    patient_sessions: list[tuple]


def _load_placer(
    *,
    site: Site,
    spec: ProtocolSpec,
    calendar: SiteCalendar,
    patient_id: int,
    window: tuple[dt.datetime, dt.datetime],
    now: dt.datetime,
) -> Loaded:
    """Two queries whatever the course length or database size: the site's active resources of
    the kinds the protocol holds, each LEFT JOINed to its active holds in the window; and the
    patient's active sessions in the window."""
    lo, hi = window
    rows = (
        Resource.objects.filter(site=site, kind__in=spec.resource_kinds())
        .annotate(
            h=FilteredRelation(
                "holds", condition=Q(holds__active=True, holds__start__lt=hi, holds__end__gt=lo)
            )
        )
        .order_by("kind", "name", "id")
        .values_list("id", "kind", "name", "active", "h__start", "h__end", "h__session_id")
    )
    resources: dict[int, Resource] = {}
    busy: dict[int, Timeline] = {}
    modelled: set[str] = set()
    for rid, kind, name, active, start, end, sid in rows:
        modelled.add(kind)
        if not active:
            continue
        if rid not in resources:
            resources[rid] = Resource(id=rid, site=site, kind=kind, name=name, active=True)
            busy[rid] = Timeline()
        if start is not None:
            busy[rid].add(start, end, sid)
    by_kind: dict[str, list[int]] = {}
    for r in resources.values():
        by_kind.setdefault(r.kind, []).append(r.id)
    patient = Timeline()
    patient_rows = list(
        Session.objects.filter(
            patient_id=patient_id, active=True, start__lt=hi, observation_end__gt=lo
        ).values_list(
            "start", "observation_end", "id", "course_id", "course__modality", "course__status"
        )
    )
    for row in patient_rows:
        patient.add(row[0], row[1], row[2])
    placer = Placer(
        timing=spec.timing,
        calendar=calendar,
        resources=by_kind,
        resource_busy=busy,
        patient_busy=patient,
        not_before=now,
        window_end=hi.astimezone(site.zone).date() - dt.timedelta(days=1),
        # Issue 3: TMS holds "a device, if the site models devices".
        skip_kinds={k for k in OPTIONAL_KINDS if k not in modelled},
    )
    return Loaded(placer, list(resources.values()), patient_rows)


def _find_conflict(holds: Iterable[HoldPlan], patient_id: int, spans) -> str:
    """After the database refused a write: name what is in the way (one or two queries)."""
    q = Q()
    for h in holds:
        q |= Q(resource_id=h.resource_id, start__lt=h.end, end__gt=h.start)
    if q:
        sid = ResourceHold.objects.filter(q, active=True).values_list("session_id", flat=True)
        sid = sid.first()
        if sid is not None:
            return f"session {sid}"
    q = Q()
    for start, end in spans:
        q |= Q(start__lt=end, observation_end__gt=start)
    if q:
        sid = Session.objects.filter(q, patient_id=patient_id, active=True).values_list(
            "id", flat=True
        )
        sid = sid.first()
        if sid is not None:
            return f"session {sid} (the patient's)"
    return "another booking made at the same moment"


def _raise_slot_taken(exc: Exception, holds: list[HoldPlan], patient_id: int, spans) -> None:
    what = _find_conflict(holds, patient_id, spans)
    raise Conflict(
        f"That time was just taken by {what}; nothing was booked. Try again.",
        code=ERR_SLOT_TAKEN,
        conflicting=what,
    ) from exc


def _is_booking_race(exc: Exception) -> bool:
    """Exclusion-constraint violations and deadlocks between bookings (PostgreSQL)."""
    cause = getattr(exc, "__cause__", None)
    pgcode = getattr(cause, "pgcode", None)
    # 23P01 exclusion_violation, 40P01 deadlock_detected, 40001 serialization_failure
    return pgcode in {"23P01", "40P01", "40001"} or "database is locked" in str(exc)


def _hold_objects(
    placements: Sequence[Placement], sessions: Sequence[Session], resources: dict[int, Resource]
) -> list[ResourceHold]:
    out = []
    for placement, session in zip(placements, sessions, strict=True):
        mine = [
            ResourceHold(
                session=session,
                resource=resources[h.resource_id],
                part=h.part,
                start=h.start,
                end=h.end,
                active=True,
            )
            for h in placement.holds
        ]
        session.planned_holds = mine
        out.extend(mine)
    return out


# --- enrolment ----------------------------------------------------------------------------


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


# --- session changes ----------------------------------------------------------------------


@dataclass
class Moved:
    session: Session
    old_start: dt.datetime | None
    added: bool = False


@dataclass
class SessionChange:
    session: Session
    moved: list[Moved] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _session_for(session_id: int, by: Any) -> Session:
    session = (
        Session.objects.select_related("course__protocol", "site").filter(pk=session_id).first()
    )
    if session is None or not _visible(by, session.site_id):
        raise NotFound(f"No session {session_id}.", code="session_not_found")
    return session


def _lock_course(course_id: int) -> Course:
    """Lock the course row and return it. Every service that locks a course and one of its
    sessions takes the course first (as course_discontinue does): two orders would let a
    check-in and a cancellation of one session deadlock each other on PostgreSQL."""
    return Course.objects.select_for_update().get(pk=course_id)


def _course_moves_on(course: Course, *, only_from: tuple[str, ...], to: str, by: Any) -> None:
    """Advance a locked course's status (planned -> active -> completed) with a history row."""
    if course.status in only_from:
        course.status = to
        course._history_user = by
        course.save(update_fields=["status", "updated_at"])


def _lock(session: Session) -> Session:
    """Re-read the session under a row lock (PostgreSQL): two nurses pressing "start" at once,
    or a reschedule racing a check-in, must not both act on the same status."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    session.status, session.sequence = locked.status, locked.sequence
    session.start, session.end, session.observation_end = (
        locked.start,
        locked.end,
        locked.observation_end,
    )
    return session


def _bad_transition(session: Session, action: str, hint: str = "") -> DomainError:
    return Conflict(
        f"Session {session.number} is {session.get_status_display().lower()}; "
        f"it cannot be {action}.{(' ' + hint) if hint else ''}",
        code=ERR_INVALID_TRANSITION,
        status=session.status,
    )


def _save_status(session: Session, by: Any, fields: list[str]) -> None:
    session.sequence += 1
    session._history_user = by
    session.save(update_fields=[*fields, "status", "active", "sequence", "updated_at"])


def session_check_in(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    from charting import gates

    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CHECK_IN_ROLES, action="check a patient in")
    with transaction.atomic():
        course = _lock_course(session.course_id)  # check-in may move the course to active
        _lock(session)
        if session.status != S.SCHEDULED:
            raise _bad_transition(session, "checked in")
        gates.check_in_allowed(session)
        session.status = S.CHECKED_IN
        session.checked_in_at = now
        _save_status(session, by, ["checked_in_at"])
        _course_moves_on(course, only_from=(Course.Status.PLANNED,), to=Course.Status.ACTIVE, by=by)
    return SessionChange(session)


def session_start(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    from charting import gates

    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CARE_ROLES, action="start a session")
    with transaction.atomic():
        _lock(session)
        if session.status != S.CHECKED_IN:
            raise _bad_transition(session, "started", "Check the patient in first.")
        gates.start_allowed(session)
        session.status = S.IN_PROGRESS
        session.started_at = now
        _save_status(session, by, ["started_at"])
        gates.on_session_started(session, by=by, now=now)
    return SessionChange(session)


def session_observe(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CARE_ROLES, action="move a session to observation")
    spec = session.course.protocol.parsed
    with transaction.atomic():
        _lock(session)
        if spec.timing.observation_minutes == 0:
            raise _bad_transition(
                session, "moved to observation", "This protocol has no observation period."
            )
        if session.status != S.IN_PROGRESS:
            raise _bad_transition(session, "moved to observation", "Start it first.")
        session.status = S.OBSERVING
        _save_status(session, by, [])
    return SessionChange(session)


def session_complete(*, session_id: int, by: Any, now: dt.datetime | None = None) -> SessionChange:
    from charting import gates

    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *CARE_ROLES, action="complete a session")
    spec = session.course.protocol.parsed
    with transaction.atomic():
        course = _lock_course(session.course_id)  # completion may complete the course
        _lock(session)
        # With an observation period the patient must pass through observing (REMS: monitored
        # until discharge); without one, the procedure's end is the end.
        allowed = (S.OBSERVING,) if spec.timing.observation_minutes else (S.IN_PROGRESS,)
        if session.status not in allowed:
            hint = "Move it to observation first." if session.status == S.IN_PROGRESS else ""
            raise _bad_transition(session, "completed", hint)
        gates.complete_allowed(session)
        session.status = S.COMPLETED
        session.completed_at = now
        _save_status(session, by, ["completed_at"])
        remaining = (
            Session.objects.filter(course_id=session.course_id, active=True)
            .exclude(status=S.COMPLETED)
            .exists()
        )
        if not remaining:
            # A discontinued course stays discontinued when its last session is finished.
            _course_moves_on(
                course,
                only_from=(Course.Status.PLANNED, Course.Status.ACTIVE),
                to=Course.Status.COMPLETED,
                by=by,
            )
        gates.on_session_completed(session, by=by, now=now)
    return SessionChange(session)


def session_cancel(
    *, session_id: int, reason: str, by: Any, now: dt.datetime | None = None
) -> SessionChange:
    """Cancel a session (reason required). A cancelled TMS session is made up at the end."""
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for the cancellation.", code="reason_required")
    return _drop(session_id=session_id, status=S.CANCELLED, reason=reason.strip(), by=by, now=now)


def session_no_show(
    *, session_id: int, by: Any, reason: str = "", now: dt.datetime | None = None
) -> SessionChange:
    """Mark a no-show. A missed TMS session is made up at the end of the course."""
    return _drop(session_id=session_id, status=S.NO_SHOW, reason=reason.strip(), by=by, now=now)


def _drop(
    *, session_id: int, status: str, reason: str, by: Any, now: dt.datetime | None
) -> SessionChange:
    now = _now(now)
    session = _session_for(session_id, by)
    require_role(by, *BOOKERS, action="cancel or mark a no-show")
    action = "cancelled" if status == S.CANCELLED else "marked a no-show"
    with transaction.atomic():
        # The course row first: a make-up must not be added to a course that is being, or has
        # been, stopped.
        course_status = _lock_course(session.course_id).status
        _lock(session)
        if session.status not in (S.SCHEDULED, S.CHECKED_IN):
            raise _bad_transition(session, action)
        session.status = status
        session.status_reason = reason
        _save_status(session, by, ["status_reason"])
        # Marked, never deleted: the holds stay as a record but free the resource.
        ResourceHold.objects.filter(session=session).update(active=False)
        change = SessionChange(session)
        if session.course.modality == Modality.TMS:
            if course_status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
                change.notes.append(f"No make-up session was added: the course is {course_status}.")
            else:
                # CLINICAL.md §1 "Missed sessions": add the session at the end of the course.
                # In a savepoint: if another booking took the make-up's slot a moment ago
                # (PostgreSQL constraint), the cancellation stands and the note says so.
                try:
                    with transaction.atomic():
                        _append_makeup(session, change, by=by, now=now)
                except (IntegrityError, OperationalError) as exc:
                    if not _is_booking_race(exc):
                        raise
                    change.moved = [m for m in change.moved if not m.added]
                    change.notes.append(
                        "No make-up session was added: its time was just taken by another "
                        "booking; book one by hand."
                    )
    return change


def _append_makeup(missed: Session, change: SessionChange, *, by: Any, now: dt.datetime) -> None:
    course = missed.course
    spec = course.protocol.parsed
    site = missed.site
    zone = site.zone
    rows = list(
        Session.objects.filter(course=course).values_list(
            "number", "start", "phase_index", "active"
        )
    )
    max_number = max(r[0] for r in rows)
    active_starts = [r[1] for r in rows if r[3]]
    # After the last active session and after the missed one itself: a make-up never lands
    # in the slot the patient just missed.
    last_start = max([*active_starts, missed.start])
    last_day = last_start.astimezone(zone).date()
    week = last_day.toordinal() - last_day.weekday()
    week_count = len(
        {
            d
            for d in (r[1].astimezone(zone).date() for r in rows if r[3])
            if d.toordinal() - d.weekday() == week
        }
    )
    phase = spec.phases[missed.phase_index]
    one = phase.model_copy(update={"sessions": 1, "weeks": None})
    one_spec = spec.model_copy(update={"phases": [one], "outcomes": []})
    today = now.astimezone(zone).date()
    start = max(today, last_day)
    calendar = _calendar(site, start)

    def planner(day: dt.date, resume: ResumePoint | None):
        return plan_course(one_spec, day, course.preferred_time, calendar, resume=resume)

    lo = local_day_bounds(start, zone)[0] - dt.timedelta(days=1)
    hi = lo + dt.timedelta(days=SEARCH_DAYS + 30)
    loaded = _load_placer(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=missed.patient_id,
        window=(lo, hi),
        now=now,
    )
    placer, resources = loaded.placer, loaded.resources
    resume = ResumePoint(
        phase_index=0, done_in_phase=0, last_day=last_day, number=max_number, week_count=week_count
    )
    try:
        result = place_course(
            planner=planner, placer=placer, phases=one_spec.phases, start=start, resume=resume
        )
    except (PlanningError, WindowExceeded) as exc:
        change.notes.append(f"No make-up session was added: {exc}")
        return
    if result.unplaced or not result.placements:
        why = result.unplaced[0].reason if result.unplaced else "nothing to place"
        change.notes.append(f"No make-up session was added: {why}")
        return
    p = result.placements[0]
    added = Session(
        course=course,
        patient_id=missed.patient_id,
        site=site,
        phase=phase.name,
        phase_index=missed.phase_index,
        number=p.number,
        start=p.start,
        end=p.end,
        observation_end=p.observation_end,
        status=S.SCHEDULED,
        sequence=0,
        status_reason=f"make-up for session {missed.number}",
    )
    added._history_user = by
    added.save()
    holds = _hold_objects([p], [added], {r.id: r for r in resources})
    ResourceHold.objects.bulk_create(holds)
    change.moved.append(Moved(added, None, added=True))


def _booked(session: Session, zone: Any) -> Booked:
    return Booked(
        key=session.pk,
        number=session.number,
        phase_index=session.phase_index,
        start=session.start,
        day=session.start.astimezone(zone).date(),
        movable=session.status == S.SCHEDULED,
    )


def session_reschedule(
    *,
    session_id: int,
    by: Any,
    to: dt.datetime | None = None,
    next_valid: bool = False,
    now: dt.datetime | None = None,
) -> SessionChange:
    """Move a scheduled session to `to` (aware) or to the next valid day (`next_valid`).

    The protocol's rules hold: the move must keep spacing/quota/weekday rules with the session
    before it; later sessions that would then break their spacing are pushed (ECT's >=1 day
    gap, esketamine's twice-weekly cadence, one TMS session a day), each to the first day that
    keeps the rules, at its usual time or the nearest free one. Every moved session is listed.
    """
    now = _now(now)
    if (to is None) == (not next_valid):
        raise InvalidInput("Give either `to` or `next_valid: true`.", code="invalid")
    if to is not None:
        _aware(to, "to")
    session = _session_for(session_id, by)
    require_role(by, *BOOKERS, action="reschedule a session")
    try:
        with transaction.atomic():
            change = _move(session, to=to, by=by, now=now)
    except _Race as race:
        race.to_conflict()
    return change


def _move(
    session: Session,
    *,
    to: dt.datetime | None,
    by: Any,
    now: dt.datetime,
    extra_closed: dict[dt.date, str] | None = None,
) -> SessionChange:
    course = session.course
    spec = course.protocol.parsed
    site = session.site
    zone = site.zone
    # Lock the course's sessions: two people rescheduling the same course at once would each
    # push the other's sessions from a stale picture.
    course_sessions = list(
        Session.objects.select_for_update().filter(course_id=course.pk).order_by("number")
    )
    me = next(s for s in course_sessions if s.pk == session.pk)
    me.course, me.site = course, site
    if me.status != S.SCHEDULED:
        raise _bad_transition(me, "rescheduled")
    if to is not None and to < now:
        raise InvalidInput(f"{to.isoformat()} is in the past.", code="start_in_past")
    active = [s for s in course_sessions if s.status not in Session.INACTIVE]
    booked = [_booked(s, zone) for s in active]
    by_key = {b.key: b for b in booked}
    today = now.astimezone(zone).date()
    my_day = me.start.astimezone(zone).date()
    # Bookings before today or before the session cannot matter (the previous session's time
    # is known from the course); loading them would make a reschedule read the whole year.
    lo_day = max(today, min(my_day, to.astimezone(zone).date() if to else my_day))
    last_day = max(b.day for b in booked)
    calendar = _calendar(site, lo_day)
    if extra_closed:
        calendar = SiteCalendar(
            zone=calendar.zone, hours=calendar.hours, closed={**calendar.closed, **extra_closed}
        )
    if to is not None:
        last_day = max(last_day, to.astimezone(zone).date())
    lo = local_day_bounds(lo_day, zone)[0]
    hi = local_day_bounds(last_day + dt.timedelta(days=SEARCH_DAYS), zone)[1]
    loaded = _load_placer(
        site=site,
        spec=spec,
        calendar=calendar,
        patient_id=me.patient_id,
        window=(lo, hi),
        now=now,
    )
    placer, resources = loaded.placer, loaded.resources
    all_rids = list(placer.resource_busy)
    later = [s for s in active if s.number > me.number]
    # Later sessions may be pushed, so the moved one may take their current places: look
    # through them until each is either kept (checked below) or pushed.
    placer.ignore = {s.pk for s in later if s.status == S.SCHEDULED}

    def prev_of(number: int) -> Booked | None:
        earlier = [b for b in booked if b.number < number]
        return max(earlier, key=lambda b: b.number) if earlier else None

    def place_on(target: Session, day: dt.date, minute: int, prev: Booked | None):
        phase = spec.phases[target.phase_index]
        earliest = None
        if prev is not None and prev.day == day:
            earliest = prev.start + dt.timedelta(minutes=max(phase.min_minutes_between_starts, 1))
        try:
            slot, why, _conflict = placer.find_on_day(day, minute, earliest=earliest)
        except WindowExceeded:
            return None, f"nothing is free early enough (searched up to {placer.window_end})"
        if slot is None:
            return None, why
        problem = spacing_problem(
            phase, prev, slot.start, day, week_days(booked, target.phase_index, day, target.pk)
        )
        if problem:
            return None, problem
        return slot, ""

    def search(target: Session, from_day: dt.date, minute: int, prev: Booked | None):
        phase = spec.phases[target.phase_index]
        why = ""
        for offset in range(SEARCH_DAYS):
            day = from_day + dt.timedelta(days=offset)
            start_guess = local_instant(day, minute, zone)
            problem = spacing_problem(
                phase,
                prev,
                max(start_guess, prev.start + dt.timedelta(minutes=1)) if prev else start_guess,
                day,
                week_days(booked, target.phase_index, day, target.pk),
            )
            if problem:
                why = problem
                if "at most" in problem:
                    break
                continue
            slot, why = place_on(target, day, minute, prev)
            if slot is not None:
                return slot, ""
        return None, why

    placer.release(me.pk, all_rids)
    my_minute = _minutes(me.start.astimezone(zone).time())
    prev = prev_of(me.number)
    if to is not None:
        day = to.astimezone(zone).date()
        phase = spec.phases[me.phase_index]
        reason = calendar.closed_reason(day)
        if reason is not None:
            raise InvalidInput(f"The site is closed on {day}: {reason}.", code="site_closed")
        opens, closes = calendar.hours[day.weekday()]
        local = to.astimezone(zone)
        total = spec.timing.procedure_minutes + spec.timing.observation_minutes
        if _minutes(local.time()) < _minutes(opens) or (
            _minutes(local.time()) + total > _minutes(closes)
        ):
            raise InvalidInput(
                f"A {total}-minute session at {local:%H:%M} is outside opening hours on {day} "
                f"({opens:%H:%M}-{closes:%H:%M}).",
                code="outside_opening_hours",
            )
        problem = spacing_problem(
            phase, prev, to, day, week_days(booked, me.phase_index, day, me.pk)
        )
        if problem:
            raise InvalidInput(
                f"Session {me.number} cannot move to {local:%Y-%m-%d %H:%M}: {problem}.",
                code=ERR_PROTOCOL_RULE,
            )
        slot, why, conflict = placer.try_at(to)
        if slot is None:
            raise Conflict(
                f"{local:%Y-%m-%d %H:%M} is not free: {why} ({_label(conflict)}).",
                code=ERR_SLOT_TAKEN,
                conflicting=_label(conflict),
            )
    else:
        from_day = max(my_day + dt.timedelta(days=1), today)
        slot, why = search(me, from_day, my_minute, prev)
        if slot is None:
            raise Conflict(
                f"No valid time for session {me.number} in the {SEARCH_DAYS} days after "
                f"{from_day}: {why}.",
                code=ERR_UNPLACEABLE,
            )
    changes: list[tuple[Session, Any]] = [(me, slot)]
    placer.take(slot, me.pk)
    by_key[me.pk] = replace_booked(by_key[me.pk], slot.start, zone)
    booked = [by_key[b.key] for b in booked]
    # Push later sessions only while the spacing rules would break (or a moved session now
    # overlaps them); the first one that is fine stops the cascade.
    cur = by_key[me.pk]
    for nxt in later:
        b = by_key[nxt.pk]
        phase = spec.phases[nxt.phase_index]
        problem = spacing_problem(
            phase, cur, b.start, b.day, week_days(booked, nxt.phase_index, b.day, nxt.pk)
        )
        if problem is None:
            end = nxt.observation_end
            hit = [m for m, slot in changes if slot.start < end and slot.observation_end > b.start]
            if hit:
                problem = f"it overlaps session {hit[0].number}"
        placer.ignore.discard(nxt.pk)
        if problem is None:
            break
        if not b.movable:
            raise Conflict(
                f"Moving session {me.number} would break the rules for session {nxt.number} "
                f"({problem}), which is already {nxt.get_status_display().lower()}.",
                code=ERR_PROTOCOL_RULE,
            )
        placer.release(nxt.pk, all_rids)
        minute = _minutes(nxt.start.astimezone(zone).time())
        pushed, why = search(nxt, max(b.day, cur.day), minute, cur)
        if pushed is None:
            raise Conflict(
                f"Session {nxt.number} would have to move too, but has no valid time: {why}.",
                code=ERR_UNPLACEABLE,
            )
        placer.take(pushed, nxt.pk)
        by_key[nxt.pk] = replace_booked(b, pushed.start, zone)
        booked = [by_key[x.key] for x in booked]
        cur = by_key[nxt.pk]
        changes.append((nxt, pushed))
    return _write_moves(changes, me, by=by, now=now, resources=resources)


def _defer_patient_overlap_check(defer: bool) -> None:
    if connection.vendor != "postgresql":
        return
    mode = "DEFERRED" if defer else "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS session_no_overlap_per_patient {mode}")


class _Race(Exception):
    """The database refused a write made from a stale picture (PostgreSQL constraint or
    deadlock). Raised inside the transaction, turned into 409 slot_taken once it rolled back:
    naming the conflict needs a query, which an aborted transaction cannot run."""

    def __init__(self, exc: Exception, holds: list[HoldPlan], spans: list, patient_id: int):
        super().__init__(str(exc))
        self.exc, self.holds, self.spans, self.patient_id = exc, holds, spans, patient_id

    def to_conflict(self) -> None:
        _raise_slot_taken(self.exc, self.holds, self.patient_id, self.spans)


def _write_moves(changes, me: Session, *, by: Any, now: dt.datetime, resources) -> SessionChange:
    moved: list[Moved] = []
    sessions = []
    for s, slot in changes:
        old = s.start
        s.start, s.end, s.observation_end = slot.start, slot.end, slot.observation_end
        s.sequence += 1
        s.updated_at = now
        sessions.append(s)
        moved.append(Moved(s, old))
    chain = len(sessions) > 1
    try:
        # A pushed chain is updated in one statement; on PostgreSQL check the patient overlap
        # constraint when all rows are in place, not row by row (migration 0002).
        if chain:
            _defer_patient_overlap_check(True)
        Session.objects.bulk_update(
            sessions, ["start", "end", "observation_end", "sequence", "updated_at"]
        )
        if chain:
            _defer_patient_overlap_check(False)
        Session.history.bulk_history_create(sessions, update=True, default_user=by)
        # Old holds go before new ones arrive, so the resource constraint never sees both.
        ResourceHold.objects.filter(session__in=sessions).delete()
        placements = [
            Placement(
                number=s.number,
                phase=s.phase,
                phase_index=s.phase_index,
                day=s.start.astimezone(me.site.zone).date(),
                start=s.start,
                end=s.end,
                observation_end=s.observation_end,
                holds=slot.holds,
            )
            for s, slot in changes
        ]
        ResourceHold.objects.bulk_create(
            _hold_objects(placements, sessions, {r.id: r for r in resources})
        )
    except (IntegrityError, OperationalError) as exc:
        if not _is_booking_race(exc):
            raise
        holds = [h for _s, slot in changes for h in slot.holds]
        spans = [(slot.start, slot.observation_end) for _s, slot in changes]
        raise _Race(exc, holds, spans, me.patient_id) from exc
    return SessionChange(me, moved)


# --- closing a site day -------------------------------------------------------------------


@dataclass
class CloseDayResult:
    site: Site
    date: dt.date
    reason: str
    created: bool
    affected: list[Session]
    moved: list[Moved] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _DryRun(Exception):
    pass


def site_close_day(
    *,
    site: Site | int,
    date: dt.date,
    reason: str,
    by: Any,
    replan: bool = True,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> CloseDayResult:
    """Close a site for a day. With `replan`, each scheduled session that day moves to the
    next valid day (pushing later ones as a reschedule would). `dry_run` reports the affected
    sessions and where they would go, and writes nothing."""
    now = _now(now)
    require_role(by, ROLE_SCHEDULER, ROLE_ADMIN, action="close a site day")
    site_id = site.pk if isinstance(site, Site) else site
    row = Site.objects.filter(pk=site_id).first()
    if row is None or not _visible(by, site_id):
        raise NotFound(f"No site {site_id}.", code="site_not_found")
    site = row
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for the closure.", code="reason_required")
    if date < now.astimezone(site.zone).date():
        raise InvalidInput(f"{date} is in the past.", code="start_in_past")
    existing = Closure.objects.filter(site=site, date=date).first()
    if existing is not None and not replan:
        raise Conflict(f"{site} is already closed on {date}.", code="already_closed")
    # A closure recorded elsewhere (the admin) left its sessions in place: `replan` on an
    # already closed day moves them and keeps the recorded closure.
    lo, hi = local_day_bounds(date, site.zone)
    affected = list(
        Session.objects.select_related("course__protocol", "site")
        .filter(site=site, active=True, start__gte=lo, start__lt=hi)
        .order_by("start")
    )
    created = existing is None
    result = CloseDayResult(
        site, date, reason.strip(), created=created and not dry_run, affected=affected
    )
    try:
        with transaction.atomic():
            if created:
                Closure.objects.create(site=site, date=date, reason=reason.strip())
            if replan:
                for s in affected:
                    if s.status != S.SCHEDULED:
                        result.problems.append(
                            f"Session {s.pk} is {s.get_status_display().lower()}; left as is."
                        )
                        continue
                    try:
                        with transaction.atomic():
                            change = _move(
                                s,
                                to=None,
                                by=by,
                                now=now,
                                extra_closed={date: existing.reason if existing else reason},
                            )
                    except DomainError as exc:
                        result.problems.append(f"Session {s.pk} not moved: {exc.message}")
                        continue
                    except _Race:
                        result.problems.append(
                            f"Session {s.pk} not moved: its new time was just taken; retry."
                        )
                        continue
                    result.moved.extend(change.moved)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


@dataclass
class DiscontinueResult:
    course: Course
    cancelled: list[Session]


def course_discontinue(
    *, course_id: int, reason: str, by: Any, now: dt.datetime | None = None
) -> DiscontinueResult:
    """Stop a course: it becomes discontinued and every session not yet under way is cancelled
    (marked with the reason, never deleted) and frees its resources. Sessions already checked in
    or under way are left for the nurse to finish or cancel one by one."""
    from simple_history.utils import bulk_update_with_history

    now = _now(now)
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for discontinuing the course.", code="reason_required")
    reason = reason.strip()
    course = Course.objects.filter(pk=course_id).first()
    if course is None or not _visible(by, course.site_id):
        raise NotFound(f"No course {course_id}.", code="course_not_found")
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
        course._history_user = by
        course.save(update_fields=["status", "status_reason", "updated_at"])
    return DiscontinueResult(course=course, cancelled=sessions)
