"""Closing a site for a day, and moving that day's sessions to the next valid day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction

from clinic.clock import resolve_now
from clinic.errors import Conflict, DomainError, InvalidInput, NotFound
from clinic.models import ROLE_ADMIN, ROLE_SCHEDULER, Closure, Site
from clinic.permissions import can_see_site, require_role
from scheduling.availability import local_day_bounds
from scheduling.booking_change import BookingRace
from scheduling.change_results import Moved
from scheduling.models import Session
from scheduling.session_reschedule import session_replan

S = Session.Status


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
    by: User,
    replan: bool = True,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> CloseDayResult:
    """Close a site for a day. With `replan`, each scheduled session that day moves to the
    next valid day (pushing later ones as a reschedule would). `dry_run` reports the affected
    sessions and where they would go, and writes nothing."""
    now = resolve_now(now)
    require_role(by, ROLE_SCHEDULER, ROLE_ADMIN, action="close a site day")
    site_id = site.pk if isinstance(site, Site) else site
    row = Site.objects.filter(pk=site_id).first()
    if row is None or not can_see_site(by, site_id):
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
                            change = session_replan(
                                s,
                                to=None,
                                by=by,
                                now=now,
                                extra_closed={date: existing.reason if existing else reason},
                            )
                    except DomainError as exc:
                        result.problems.append(f"Session {s.pk} not moved: {exc.message}")
                        continue
                    except BookingRace:
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
