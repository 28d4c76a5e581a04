"""The database side of placement, shared by enrolment, make-ups and moves: load a Placer
(scheduling/booking.py) in a constant number of queries, turn its placements into hold
rows, and turn a write the database refused (a booking race) into 409 `slot_taken`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import FilteredRelation, Q

from clinic.errors import Conflict
from clinic.models import Resource, Site
from protocols.calendar import SiteCalendar
from protocols.spec import ProtocolSpec
from scheduling.booking import HoldPlan, Placement, Placer, Timeline
from scheduling.models import ResourceHold, Session
from scheduling.service_support import ERR_SLOT_TAKEN, OPTIONAL_KINDS


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


class _Race(Exception):
    """The database refused a write made from a stale picture (PostgreSQL constraint or
    deadlock). Raised inside the transaction, turned into 409 slot_taken once it rolled back:
    naming the conflict needs a query, which an aborted transaction cannot run."""

    def __init__(self, exc: Exception, holds: list[HoldPlan], spans: list, patient_id: int):
        super().__init__(str(exc))
        self.exc, self.holds, self.spans, self.patient_id = exc, holds, spans, patient_id

    def to_conflict(self) -> None:
        _raise_slot_taken(self.exc, self.holds, self.patient_id, self.spans)
