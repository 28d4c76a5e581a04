"""The observation hold follows the dose: when charting records or moves a session's
dose/procedure time, the resource held for observation (esketamine's monitoring chair, ECT's
recovery bay) stays held until the patient's earliest discharge.

The booked hold ends `timing.observation_minutes` after the booked procedure end. A dose given
late means the patient is in the chair past that: the hold's end becomes
`anchor + the form's minimum` (charting computes that instant and passes it), never shorter
than booked. When the next booking on that resource starts before it, the dose is still
recorded (the patient *is* in the chair): the hold extends as far as the resource is free and
that next booking is at risk (`chair_at_risk`, scheduling/session_flags.py), shown on the
board, the grid and the nurse's day with its reschedule and the free chairs at its time.

Example: esketamine booked 09:00 (procedure to 09:30, observed to 11:30) on Spravato 1, the
next patient on Spravato 1 at 11:30. The first device goes in at 09:45: earliest discharge
11:45. The hold cannot run past 11:30, so it stays 09:30-11:30, `earliest_discharge` says
11:45 and the 11:30 booking is flagged. Had Spravato 1 been free, the hold would end at 11:45
and /availability would no longer offer the chair before then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F

from clinic.history import save_with_history
from scheduling.booking_change import is_booking_race
from scheduling.models import ResourceHold, Session

OBSERVATION = ResourceHold.Part.OBSERVATION
# A concurrent booking may take the time between our read and our write; on PostgreSQL the
# exclusion constraint refuses our write, and we re-read and try again (then it is in the way).
ATTEMPTS = 3


@dataclass(frozen=True)
class HoldFollow:
    """What `observation_hold_follow` did: the hold's new end, and the booking in the way."""

    session: Session
    hold_end: dt.datetime | None  # None: the session holds nothing for observation
    earliest_discharge: dt.datetime
    blocked_by: int | None = None  # id of the session whose booking cut the extension short


def booked_observation_end(session: Session) -> dt.datetime:
    """Where the observation hold ends as booked: the protocol's observation after the
    procedure's booked end (a reschedule moves start, end and observation_end together)."""
    minutes = session.course.protocol.parsed.timing.observation_minutes
    return session.end + dt.timedelta(minutes=minutes)


def observation_hold_follow(
    *, session_id: int, discharge_at: dt.datetime, by: User | None, now: dt.datetime | None = None
) -> HoldFollow:
    """Move the session's observation hold to end at `discharge_at` (the patient's earliest
    discharge), never before its booked end, and only as far as each held resource and the
    patient are free. Runs in the caller's transaction (charting records the dose in it)."""
    del now  # the hold follows the recorded time, not the clock
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _follow(session_id, discharge_at, by)
        except IntegrityError as exc:
            if not is_booking_race(exc) or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _follow(session_id: int, discharge_at: dt.datetime, by: User | None) -> HoldFollow:
    # Lock the session row: two nurses correcting the dose time at once must not write two
    # different ends from the same stale picture.
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("course__protocol")
        .get(pk=session_id)
    )
    booked = booked_observation_end(session)
    target = max(booked, discharge_at)
    holds = list(
        ResourceHold.objects.select_for_update().filter(
            session=session, part=OBSERVATION, active=True
        )
    )
    if session.status in Session.INACTIVE:
        return HoldFollow(session, None, target)
    # The patient's own next session (another course) also bounds the observation end.
    limit = target
    blocked_by: int | None = None
    nxt = (
        Session.objects.filter(
            patient_id=session.patient_id, active=True, start__gte=booked, start__lt=target
        )
        .exclude(pk=session.pk)
        .order_by("start")
        .values_list("start", "id")
        .first()
    )
    if nxt is not None:
        limit, blocked_by = nxt
    for hold in holds:
        other = (
            ResourceHold.objects.filter(
                resource_id=hold.resource_id, active=True, end__gt=booked, start__lt=limit
            )
            .exclude(session_id=session.pk)
            .order_by("start")
            .values_list("start", "session_id")
            .first()
        )
        if other is not None:
            limit, blocked_by = max(other[0], booked), other[1]
    end = max(booked, min(target, limit))
    for hold in holds:
        if hold.end != end:
            hold.end = end
            hold.save(update_fields=["end"])
    changed = session.earliest_discharge != discharge_at or bool(
        holds and session.observation_end != end
    )
    if changed:
        session.earliest_discharge = discharge_at
        if holds:
            session.observation_end = end
        session.sequence += 1  # calendar feeds see the longer stay
        save_with_history(
            session,
            by,
            update_fields=["earliest_discharge", "observation_end", "sequence", "updated_at"],
        )
    return HoldFollow(session, end if holds else None, discharge_at, blocked_by)


def observation_holds_refollow(
    *, site_id: int, freed_at: Iterable[dt.datetime], by: User | None
) -> list[HoldFollow]:
    """After a booking left a resource (moved, cancelled, a no-show): the holds that had to
    stop at its start (`freed_at`) extend again to their patient's earliest discharge, as far
    as the resource is now free. One query when nothing waits, as is usual."""
    starts = set(freed_at)
    if not starts:
        return []
    waiting = (
        Session.objects.filter(
            site_id=site_id,
            active=True,
            earliest_discharge__gt=F("observation_end"),
            observation_end__in=starts,
        )
        .exclude(status=Session.Status.COMPLETED)
        .values_list("pk", "earliest_discharge")
    )
    return [
        observation_hold_follow(session_id=pk, discharge_at=discharge, by=by)
        for pk, discharge in waiting
        if discharge is not None  # the filter says so; for the type checker
    ]
