"""Bookings that need a person to act, shown on the day board, the resource grid, the nurse's
day and (closed days) the site page, until the booking is moved or cancelled. Read-only and
worked out from the bookings themselves, so a flag disappears the moment its cause does.

* `chair_at_risk`: the booking's chair is still needed by the patient before it, whose dose
  was recorded late: their earliest discharge (`Session.earliest_discharge`, set by
  scheduling/observation_holds.py) is after this booking's start. The flag names the free
  chairs of that kind at the booking's time.
* `closed_day`: the booking is on a day the site is closed (a closure confirmed with
  `leave_unresolved`, one recorded with `replan: false`, or one added in the admin).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Q

from clinic.models import Closure, Resource, Site
from scheduling.availability import local_day_bounds
from scheduling.models import ResourceHold, Session

S = Session.Status
FlagKind = Literal["chair_at_risk", "closed_day"]
# Bookings that can still be moved to another chair or day.
WAITING = (S.SCHEDULED, S.CHECKED_IN)


@dataclass(frozen=True)
class SessionFlag:
    kind: FlagKind
    session: Session  # the booking to act on
    message: str
    free: list[str] = field(default_factory=list)  # free resources of its kind at its time

    @property
    def reschedule_to(self) -> str:
        """The booking's own start: rescheduling to it picks a free chair at the same time."""
        return self.session.start.isoformat()


def session_flags(*, site: Site, first: dt.date, last: dt.date) -> list[SessionFlag]:
    """Flags for bookings at `site` starting on local days `first`..`last`, in start order."""
    lo = local_day_bounds(first, site.zone)[0]
    hi = local_day_bounds(last, site.zone)[1]
    flags = _closed_day_flags(site, first, last) + _chair_flags(site, lo, hi)
    return sorted(flags, key=lambda f: (f.session.start, f.session.pk, f.kind))


def flags_by_session(flags: list[SessionFlag]) -> dict[int, list[SessionFlag]]:
    out: dict[int, list[SessionFlag]] = {}
    for f in flags:
        out.setdefault(f.session.pk, []).append(f)
    return out


def _closed_day_flags(site: Site, first: dt.date, last: dt.date) -> list[SessionFlag]:
    closures = {
        c.date: c.reason for c in Closure.objects.filter(site=site, date__gte=first, date__lte=last)
    }
    if not closures:
        return []
    q = Q()
    for day in closures:
        start, end = local_day_bounds(day, site.zone)
        q |= Q(start__gte=start, start__lt=end)
    rows = Session.objects.filter(q, site=site, active=True).select_related("patient")
    flags = []
    for s in rows:
        day = s.start.astimezone(site.zone).date()
        when = f"{s.start.astimezone(site.zone):%a %d %b %H:%M}"
        flags.append(
            SessionFlag(
                "closed_day",
                s,
                f"{s.patient.full_name}, session {s.number} at {when}, is booked on a closed "
                f"day ({closures[day]}): reschedule or cancel it.",
            )
        )
    return flags


def _chair_flags(site: Site, lo: dt.datetime, hi: dt.datetime) -> list[SessionFlag]:
    # Sessions whose patient must stay past the end of their observation hold (the chair
    # was booked right after): a handful a day at most.
    late = list(
        Session.objects.filter(
            site=site,
            active=True,
            earliest_discharge__isnull=False,
            start__lt=hi,
            observation_end__gt=lo - dt.timedelta(hours=12),
        )
        .exclude(status=S.COMPLETED)
        .select_related("patient")
        .prefetch_related("holds__resource")
    )
    flags = []
    for before in late:
        assert before.earliest_discharge is not None
        if before.earliest_discharge <= before.observation_end:
            continue
        for hold in before.holds.all():
            if hold.part != ResourceHold.Part.OBSERVATION or not hold.active:
                continue
            at_risk = (
                ResourceHold.objects.filter(
                    resource_id=hold.resource_id,
                    active=True,
                    start__gte=hold.end,
                    start__lt=before.earliest_discharge,
                    session__status__in=WAITING,
                )
                .exclude(session_id=before.pk)
                .select_related("session__patient")
                .order_by("start")
            )
            for other in at_risk:
                flags.append(_at_risk(site, before, hold, other.session))
    return flags


def _at_risk(site: Site, before: Session, hold: ResourceHold, s: Session) -> SessionFlag:
    zone = site.zone
    assert before.earliest_discharge is not None
    chair = hold.resource
    kind_ids = Resource.objects.filter(site=site, kind=chair.kind, active=True).exclude(pk=chair.pk)
    busy = ResourceHold.objects.filter(
        resource__in=kind_ids, active=True, start__lt=s.observation_end, end__gt=s.start
    ).values("resource_id")
    free = list(kind_ids.exclude(pk__in=busy).order_by("name").values_list("name", flat=True))
    return SessionFlag(
        "chair_at_risk",
        s,
        f"{s.patient.full_name}, session {s.number} at {s.start.astimezone(zone):%H:%M} on "
        f"{chair.name}, is at risk: {before.patient.full_name} (dose recorded late) may not "
        f"leave {chair.name} before {before.earliest_discharge.astimezone(zone):%H:%M}. "
        + (
            f"Free at that time: {', '.join(free)}."
            if free
            else "No other chair is free then: reschedule it."
        ),
        free,
    )
