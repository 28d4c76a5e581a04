"""One unit for every change to the booked schedule (after pretix's OrderChangeManager).

Enrolment, a make-up session, a reschedule and a closure's re-plan all do the same four things,
and do them here:

1. load what placement needs in a constant number of queries (`BookingChange.load`: the site's
   resources of the kinds the protocol holds with their holds in a window, and the patient's
   sessions in it);
2. place in memory on the pure `Placer` (scheduling/placement.py);
3. write sessions and holds in bulk (`add_sessions`, `add_session`, `move_sessions`);
4. turn a write the database refused because of a concurrent booking into 409 `slot_taken`
   naming what is in the way (`booking_transaction`).

Double booking is prevented twice: by the checks the Placer makes inside the transaction (on
SQLite the write lock is taken at BEGIN because settings use transaction_mode IMMEDIATE, so two
bookings cannot interleave) and, on PostgreSQL, by exclusion constraints (migration 0002) that
reject a concurrent transaction's overlapping hold or patient session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import FilteredRelation, Q, prefetch_related_objects
from psycopg2 import errors as pg_errors

from clinic.calendar import SiteCalendar
from clinic.errors import Conflict
from clinic.history import save_with_history
from clinic.models import Resource, Site
from protocols.spec import ProtocolSpec
from scheduling.change_results import Moved
from scheduling.error_codes import ERR_SLOT_TAKEN
from scheduling.models import ResourceHold, Session
from scheduling.placement import HoldPlan, Placement, Placer, Slot, Timeline

# Kinds held only where the site models them at all (no rows of that kind: not held; rows but
# none active: nothing free). A clinic that does not track TMS devices books chairs only.
OPTIONAL_KINDS = frozenset({"tms_device"})

# What PostgreSQL says when a concurrent booking won: the exclusion constraints of migration
# 0002, or a deadlock / serialization failure between two bookings.
_RACE_ERRORS = (
    pg_errors.ExclusionViolation,
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
)


def is_booking_race(exc: Exception) -> bool:
    """A write refused because another booking got there first (not a bug to re-raise)."""
    cause = exc.__cause__
    if isinstance(cause, _RACE_ERRORS):
        return True
    # SQLite: another writer holds the database (only under tests that share one file).
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def conflict_label(conflict: Hashable | None) -> str:
    """A Placer label in words: a session id, a (new, number) of this course, or anything."""
    if isinstance(conflict, int):
        return f"session {conflict}"
    if isinstance(conflict, tuple) and len(conflict) == 2:
        return f"session {conflict[1]} of this course"
    return "another booking"


Span = tuple[dt.datetime, dt.datetime]


class BookingRace(Exception):
    """The database refused a write made from a stale picture. Raised inside the transaction
    and turned into 409 slot_taken by `booking_transaction` once it has rolled back: naming the
    conflict needs a query, which an aborted transaction cannot run."""

    def __init__(
        self,
        exc: Exception,
        holds: Sequence[HoldPlan],
        spans: Sequence[Span],
        patient_id: int | None,
    ):
        super().__init__(str(exc))
        self.exc, self.holds, self.spans, self.patient_id = (
            exc,
            list(holds),
            list(spans),
            patient_id,
        )

    def conflict(self) -> Conflict:
        what = _find_conflict(self.holds, self.patient_id, self.spans)
        return Conflict(
            f"That time was just taken by {what}; nothing was booked. Try again.",
            code=ERR_SLOT_TAKEN,
            conflicting=what,
        )


@contextmanager
def booking_transaction() -> Iterator[None]:
    """One transaction for a booking change; a lost race becomes 409 after the rollback."""
    try:
        with transaction.atomic():
            yield
    except BookingRace as race:
        raise race.conflict() from race.exc


@dataclass
class BookingChange:
    """A booking change in progress: the loaded picture, the placer, and the writes."""

    site: Site
    patient_id: int | None
    placer: Placer
    resources: dict[int, Resource]
    # The patient's active sessions in the window: (start, observation_end, id, course_id,
    # course modality, course status); enrolment checks overlapping courses on them.
    patient_sessions: list[tuple[Any, ...]] = field(default_factory=list)
    # Observation holds in the window that stop before their patient's earliest discharge (a
    # late dose, the next booking in the way): (session id, hold end, earliest discharge).
    capped: list[tuple[int, dt.datetime, dt.datetime]] = field(default_factory=list)

    def capped_at(self, freed: Iterable[dt.datetime]) -> list[tuple[int, dt.datetime]]:
        """(session id, earliest discharge) of the capped holds that end at one of `freed`."""
        times = set(freed)
        return [(sid, discharge) for sid, end, discharge in self.capped if end in times]

    @classmethod
    def load(
        cls,
        *,
        site: Site,
        spec: ProtocolSpec,
        calendar: SiteCalendar,
        patient_id: int | None,
        window: Span,
        now: dt.datetime,
    ) -> BookingChange:
        """Two queries whatever the course length or database size: the site's resources of the
        kinds the protocol holds, each LEFT JOINed to its active holds in the window; and the
        patient's active sessions in the window."""
        lo, hi = window
        rows = (
            Resource.objects.filter(site=site, kind__in=spec.resource_kinds())
            .annotate(
                h=FilteredRelation(
                    "holds",
                    condition=Q(holds__active=True, holds__start__lt=hi, holds__end__gt=lo),
                )
            )
            .order_by("kind", "name", "id")
            .values_list(
                "id",
                "kind",
                "name",
                "active",
                "h__start",
                "h__end",
                "h__session_id",
                "h__part",
                "h__session__earliest_discharge",
            )
        )
        resources: dict[int, Resource] = {}
        busy: dict[int, Timeline] = {}
        capped: list[tuple[int, dt.datetime, dt.datetime]] = []
        modelled: set[str] = set()
        for rid, kind, name, active, start, end, sid, part, discharge in rows:
            modelled.add(kind)
            if not active:
                continue
            if rid not in resources:
                resources[rid] = Resource(id=rid, site=site, kind=kind, name=name, active=True)
                busy[rid] = Timeline()
            if start is not None:
                # A patient whose dose was recorded late keeps the observation resource until
                # their earliest discharge, even where the hold could not be extended (the
                # next booking was in the way): nothing new is placed there before then.
                if part == ResourceHold.Part.OBSERVATION and discharge is not None:
                    if discharge > end:
                        capped.append((sid, end, discharge))
                    end = max(end, discharge)
                busy[rid].add(start, end, sid)
        by_kind: dict[str, list[int]] = {}
        for r in resources.values():
            by_kind.setdefault(r.kind, []).append(r.id)
        patient = Timeline()
        # No patient (a preview): nobody's other sessions are in the way.
        patient_rows = (
            list(
                Session.objects.filter(
                    patient_id=patient_id, active=True, start__lt=hi, observation_end__gt=lo
                ).values_list(
                    "start",
                    "observation_end",
                    "id",
                    "course_id",
                    "course__modality",
                    "course__status",
                )
            )
            if patient_id is not None
            else []
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
            skip_kinds={k for k in OPTIONAL_KINDS if k not in modelled},
        )
        return cls(site, patient_id, placer, resources, patient_rows, capped)

    # --- writing -----------------------------------------------------------------------------

    def hold_rows(
        self, placements: Sequence[Placement], sessions: Sequence[Session]
    ) -> list[ResourceHold]:
        """Hold rows for placed sessions (unsaved)."""
        return [
            row
            for placement, session in zip(placements, sessions, strict=True)
            for row in self._session_hold_rows(placement, session)
        ]

    def _session_hold_rows(self, placement: Placement, session: Session) -> list[ResourceHold]:
        return [
            ResourceHold(
                session=session,
                resource=self.resources[h.resource_id],
                part=h.part,
                start=h.start,
                end=h.end,
                active=True,
            )
            for h in placement.holds
        ]

    def add_sessions(
        self, sessions: Sequence[Session], holds: Sequence[ResourceHold], *, by: User | None
    ) -> None:
        """Insert new sessions (with history) and their holds in bulk."""
        with self._race_guard(self._holds_of(holds), self._spans_of(sessions)):
            Session.objects.bulk_create(sessions)
            Session.history.bulk_history_create(sessions, default_user=by)
            ResourceHold.objects.bulk_create(holds)

    def add_session(self, session: Session, placement: Placement, *, by: User | None) -> None:
        """Insert one session (with history) and its holds."""
        holds = self.hold_rows([placement], [session])
        with self._race_guard(placement.holds, self._spans_of([session])):
            save_with_history(session, by)
            ResourceHold.objects.bulk_create(holds)

    def move_sessions(
        self, moves: Sequence[tuple[Session, Slot]], *, by: User | None, now: dt.datetime
    ) -> list[Moved]:
        """Give each session its new slot: times, sequence, history, and new holds."""
        moved: list[Moved] = []
        sessions = []
        for s, slot in moves:
            old = s.start
            s.start, s.end, s.observation_end = slot.start, slot.end, slot.observation_end
            s.sequence += 1
            s.updated_at = now
            sessions.append(s)
            moved.append(Moved(s, old))
        chain = len(sessions) > 1
        holds = [h for _s, slot in moves for h in slot.holds]
        with self._race_guard(holds, self._spans_of(sessions)):
            # A pushed chain is updated in one statement; on PostgreSQL check the patient
            # overlap constraint when all rows are in place, not row by row (migration 0002).
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
                    day=s.start.astimezone(self.site.zone).date(),
                    start=s.start,
                    end=s.end,
                    observation_end=s.observation_end,
                    holds=slot.holds,
                )
                for s, slot in moves
            ]
            rows = []
            for m, placement in zip(moved, placements, strict=True):
                m.holds = self._session_hold_rows(placement, m.session)
                rows.extend(m.holds)
            ResourceHold.objects.bulk_create(rows)
        return moved

    @contextmanager
    def _race_guard(self, holds: Iterable[HoldPlan], spans: Sequence[Span]) -> Iterator[None]:
        try:
            yield
        except (IntegrityError, OperationalError) as exc:
            if not is_booking_race(exc):
                raise
            raise BookingRace(exc, list(holds), spans, self.patient_id) from exc

    @staticmethod
    def _holds_of(rows: Sequence[ResourceHold]) -> list[HoldPlan]:
        return [HoldPlan(r.resource.kind, r.part, r.resource_id, r.start, r.end) for r in rows]

    @staticmethod
    def _spans_of(sessions: Sequence[Session]) -> list[Span]:
        return [(s.start, s.observation_end) for s in sessions]


def _defer_patient_overlap_check(defer: bool) -> None:
    if connection.vendor != "postgresql":
        return
    mode = "DEFERRED" if defer else "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS session_no_overlap_per_patient {mode}")


def _find_conflict(holds: Iterable[HoldPlan], patient_id: int | None, spans: Sequence[Span]) -> str:
    """After the database refused a write: name what is in the way (one or two queries)."""
    q = Q()
    for h in holds:
        q |= Q(resource_id=h.resource_id, start__lt=h.end, end__gt=h.start)
    if q:
        sid = (
            ResourceHold.objects.filter(q, active=True).values_list("session_id", flat=True).first()
        )
        if sid is not None:
            return f"session {sid}"
    q = Q()
    for start, end in spans:
        q |= Q(start__lt=end, observation_end__gt=start)
    if q and patient_id is not None:
        sid = (
            Session.objects.filter(q, patient_id=patient_id, active=True)
            .values_list("id", flat=True)
            .first()
        )
        if sid is not None:
            return f"session {sid} (the patient's)"
    return "another booking made at the same moment"


def load_site_calendar(site: Site, start: dt.date) -> SiteCalendar:
    """The site's calendar from `start` (opening hours, closures, holidays) in two queries."""
    prefetch_related_objects([site], "opening_hours", "closures")
    return site.calendar(start)
