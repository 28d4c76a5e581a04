"""Where a session may move: the allowed days (`move_window`, the reschedule service's own bound)
and the free starts of one chosen day, checked as the reschedule service checks a move: opening
hours, the protocol's spacing with the session before it, the patient's other sessions and a free
resource of EVERY kind the session holds (procedure and observation), in a constant number of
queries (the service's own loaded picture, rolled back: nothing is written)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction

from clinic.calendar import minute_of_day
from clinic.errors import DomainError
from clinic.permissions import require_role
from scheduling.availability import local_day_bounds
from scheduling.models import Session
from scheduling.placement import local_instant
from scheduling.roles import BOOKERS
from scheduling.selectors import session_for_reader
from scheduling.session_reschedule import Replan, move_window

S = Session.Status
# The picker offers a start every this many minutes (the service accepts any minute).
PICKER_STEP_MINUTES = 15
# A restore whose time was taken looks this many days either side for the nearest free start.
NEAR_DAYS = 7


@dataclass
class DayStarts:
    """The allowed days and the free starts (UTC) of `day`; `message` says why there are none."""

    first: dt.date
    last: dt.date
    day: dt.date
    starts: list[dt.datetime] = field(default_factory=list)
    message: str = ""


def session_move_window(session: Session, *, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last local day `session` may move to (the service refuses later ones)."""
    zone = session.site.zone
    starts = Session.objects.filter(course_id=session.course_id, active=True).values_list(
        "start", flat=True
    )
    last = max([session.start, *starts]).astimezone(zone).date()
    return move_window(now.astimezone(zone).date(), last)


class _Done(Exception):
    pass


def free_starts_on_day(
    *, session_id: int, by: User, day: dt.date, now: dt.datetime, ignore_own: bool = False
) -> DayStarts:
    """The starts on local `day` where `session` could move, every PICKER_STEP_MINUTES.
    `ignore_own`: also offer its own current time (a restore looks for its old time)."""
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *BOOKERS, action="reschedule a session")
    first, last = session_move_window(session, now=now)
    out = DayStarts(first=first, last=last, day=day)
    if not first <= day <= last:
        out.message = (
            f"Choose a day from {first:%a %d %b %Y} to {last:%a %d %b %Y}: the course's "
            "sessions may move no further."
        )
        return out
    zone = session.site.zone
    to = max(now, local_day_bounds(day, zone)[0])
    try:
        with transaction.atomic():
            plan = Replan.load(session, to=to, now=now, extra_closed={})
            plan.placer.release(plan.me.pk, plan.all_rids)
            out.starts, out.message = _starts(plan, day, session.start, ignore_own)
            raise _Done
    except _Done:
        pass
    except DomainError as exc:
        out.message = exc.message
    return out


def _starts(
    plan: Replan, day: dt.date, own: dt.datetime, ignore_own: bool
) -> tuple[list[dt.datetime], str]:
    reason = plan.calendar.closed_reason(day)
    if reason is not None:
        return [], f"The site is closed on {day:%a %d %b %Y}: {reason}."
    opens, closes = plan.calendar.hours[day.weekday()]
    lo, hi = minute_of_day(opens), minute_of_day(closes) - plan.placer.total_minutes
    starts: list[dt.datetime] = []
    last_why = ""
    for minute in range(lo, hi + 1, PICKER_STEP_MINUTES):
        start = local_instant(day, minute, plan.zone)
        if start == own and not ignore_own:
            continue
        try:
            plan.slot_at(start)
        except DomainError as exc:
            last_why = exc.message
            continue
        starts.append(start)
    if not starts:
        return [], f"No free start on {day:%a %d %b %Y}" + (f": {last_why}" if last_why else ".")
    return starts, ""


def nearest_start(session: Session, *, by: User, now: dt.datetime) -> dt.datetime | None:
    """The free start nearest the session's own time, a few days either side (within the move
    window), for a session already scheduled in the caller's transaction (a restore)."""
    zone = session.site.zone
    first, last = session_move_window(session, now=now)
    own_day = session.start.astimezone(zone).date()
    days = [
        d
        for d in (own_day + dt.timedelta(days=k) for k in range(-NEAR_DAYS, NEAR_DAYS + 1))
        if first <= d <= last
    ]
    if not days:
        return None
    to = max(now, local_day_bounds(days[0], zone)[0])
    plan = Replan.load(session, to=to, now=now, extra_closed={})
    plan.placer.release(plan.me.pk, plan.all_rids)
    found = [s for d in days for s in _starts(plan, d, session.start, True)[0]]
    return min(found, key=lambda s: (abs(s - session.start), s)) if found else None
