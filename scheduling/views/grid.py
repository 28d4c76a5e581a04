"""The day board as a resource grid: resources across, time down, each session a block the
size of its hold (procedure and observation parts told apart), free time left blank."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic import clock
from clinic.pages import BOOKING, STAFF, can, page_errors, pick_site, require, user_sites
from scheduling import selectors
from scheduling.grid import build_grid
from scheduling.session_flags import session_flags


@login_required
@require_GET
@page_errors
def resource_grid(request: HttpRequest) -> HttpResponse:
    require(request.user, *STAFF, action="see the schedule")
    sites = user_sites(request.user)
    site = pick_site(request, sites)
    today = clock.now().astimezone(site.zone).date()
    raw = request.GET.get("date")
    try:
        day = dt.date.fromisoformat(raw) if raw else today
    except ValueError as exc:
        raise BadRequest("date: use the form 2026-12-01") from exc
    loaded = selectors.resource_grid(user=request.user, site_id=site.pk, day=day)
    grid = build_grid(
        day=day,
        zone=site.zone,
        sessions=loaded.board.sessions,
        resources=loaded.resources,
        hours=loaded.hours,
    )
    flags = session_flags(site=site, first=day, last=day)
    return render(
        request,
        "scheduling/grid.html",
        {
            "site": site,
            "sites": sites,
            "day": day,
            "today": today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "grid": grid,
            "closed": loaded.hours is None,
            "flags": flags,
            "flagged": {f.session.pk for f in flags},
            "can_book": can(request.user, *BOOKING),
        },
    )
