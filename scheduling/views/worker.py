"""The background-work page: is the django-q2 cluster running tasks (admins), and which
reminders are stuck in "sending" (schedulers and admins, their sites only). The same facts as
`manage.py worker_health` (scheduling/worker_health.py); the office phones the patients listed
here if the retry does not send in time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic import clock
from clinic.models import ROLE_ADMIN, ROLE_SCHEDULER
from clinic.pages import can, page_errors, require
from clinic.permissions import acting_user, filter_sites
from scheduling.reminders import stuck_reminders
from scheduling.worker_health import worker_health

STUCK_SHOWN = 100


@login_required
@require_GET
@page_errors
def background_work(request: HttpRequest) -> HttpResponse:
    require(request.user, ROLE_SCHEDULER, ROLE_ADMIN, action="see background work")
    # Heartbeats and reminder claims are stamped with the real time (clock.wall_now), so the
    # page judges them by it too, never by a pinned clinic day.
    now = clock.wall_now()
    health = worker_health(now=now) if can(request.user) else None
    stuck = filter_sites(stuck_reminders(now=now), acting_user(request)).select_related(
        "session__patient"
    )
    return render(
        request,
        "scheduling/background.html",
        {"health": health, "stuck": list(stuck[:STUCK_SHOWN]), "now": now},
    )
