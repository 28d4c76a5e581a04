"""Closing a site for a day, and moving that day's sessions to the next valid day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction

from clinic.clock import resolve_now
from clinic.error_codes import ERR_SITE_NOT_FOUND
from clinic.errors import Conflict, DomainError, InvalidInput, NotFound
from clinic.models import ROLE_ADMIN, ROLE_SCHEDULER, Closure, Site
from clinic.permissions import can_see_site, require_role
from scheduling.availability import local_day_bounds
from scheduling.booking_change import BookingRace
from scheduling.change_results import Moved
from scheduling.error_codes import (
    ERR_ALREADY_CLOSED,
    ERR_CLOSURE_UNRESOLVED,
    ERR_REASON_REQUIRED,
    ERR_START_IN_PAST,
)
from scheduling.models import Session
from scheduling.session_reschedule import session_replan

S = Session.Status


@dataclass(frozen=True)
class Unresolved:
    """A session of the closed day that could not be re-planned, and why."""

    session: Session
    reason: str


@dataclass
class CloseDayResult:
    site: Site
    date: dt.date
    reason: str
    created: bool
    affected: list[Session]
    moved: list[Moved] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


class _DryRun(Exception):
    pass


def site_close_day(
    *,
    site: Site | int,
    date: dt.date,
    reason: str,
    by: User,
    replan: bool = True,
    dry_run: bool = False,
    leave_unresolved: bool = False,
    now: dt.datetime | None = None,
) -> CloseDayResult:
    """Close a site for a day. With `replan`, each scheduled session that day moves to the
    next valid day (pushing later ones as a reschedule would). `dry_run` reports the affected
    sessions and where they would go, and writes nothing.

    A session that cannot move (a day of an accelerated TMS block, a patient already checked
    in) makes the whole closure a 409 `closure_unresolved` listing each, with nothing written,
    unless `leave_unresolved` confirms them: then the closure is recorded, the others move, and
    those stay on the closed day, flagged on the board, the grid and the site page until moved
    or cancelled (scheduling/session_flags.py)."""
    now = resolve_now(now)
    require_role(by, ROLE_SCHEDULER, ROLE_ADMIN, action="close a site day")
    site_id = site.pk if isinstance(site, Site) else site
    row = Site.objects.filter(pk=site_id).first()
    if row is None or not can_see_site(by, site_id):
        raise NotFound(f"No site {site_id}.", code=ERR_SITE_NOT_FOUND)
    site = row
    if not (reason or "").strip():
        raise InvalidInput("Give a reason for the closure.", code=ERR_REASON_REQUIRED)
    if date < now.astimezone(site.zone).date():
        raise InvalidInput(f"{date} is in the past.", code=ERR_START_IN_PAST)
    existing = Closure.objects.filter(site=site, date=date).first()
    if existing is not None and not replan:
        raise Conflict(f"{site} is already closed on {date}.", code=ERR_ALREADY_CLOSED)
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
                closed = {date: existing.reason if existing else reason}
                for s in affected:
                    _replan_one(s, result, closed, by=by, now=now)
                if result.unresolved and not leave_unresolved:
                    raise _unresolved_conflict(result)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


def _replan_one(
    s: Session, result: CloseDayResult, closed: dict[dt.date, str], *, by: User, now: dt.datetime
) -> None:
    """Move one session of the closed day, or record why it stays."""
    if s.status != S.SCHEDULED:
        why = f"it is {s.get_status_display().lower()}"
    else:
        try:
            with transaction.atomic():
                change = session_replan(s, to=None, by=by, now=now, extra_closed=closed)
        except DomainError as exc:
            why = exc.message
        except BookingRace:
            why = "its new time was just taken; retry"
        else:
            result.moved.extend(change.moved)
            return
    result.unresolved.append(Unresolved(s, why))
    result.problems.append(f"Session {s.pk} not moved: {why}")


def _unresolved_conflict(result: CloseDayResult) -> DomainError:
    zone = result.site.zone
    listed = [
        {
            "id": u.session.pk,
            "number": u.session.number,
            "course_id": u.session.course_id,
            "start": u.session.start.isoformat(),
            "reason": u.reason,
        }
        for u in result.unresolved
    ]
    names = "; ".join(
        f"session {u.session.pk} at {u.session.start.astimezone(zone):%H:%M}: {u.reason}"
        for u in result.unresolved
    )
    return Conflict(
        f"{len(listed)} session(s) on {result.date} cannot be re-planned, so the day was not "
        f"closed: {names}. Move or cancel them first, or close the day with "
        "leave_unresolved to leave them booked there, flagged until moved or cancelled.",
        code=ERR_CLOSURE_UNRESOLVED,
        sessions=listed,
    )
