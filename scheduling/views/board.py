"""Staff web pages: the day board, a course's detail, and the session buttons on the board.

Thin like the API handlers: parse the request, call the selectors and services the API uses,
render. Roles and site membership are checked by those same functions, so a page can never
allow what the API refuses: another site's course or session is a 404, a missing role a 403,
and a refused transition (screening not complete, wrong status) comes back as the service's
message on the board.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from clinic import clock
from clinic.errors import DomainError, Forbidden, NotFound
from clinic.models import ROLE_ADMIN, Site
from clinic.models import ROLES as READ_ROLES
from clinic.permissions import acting_user, filter_sites, require_role, user_roles
from scheduling import selectors
from scheduling.change_results import SessionChange
from scheduling.lifecycle_gates import observation_over
from scheduling.models import Session
from scheduling.roles import BOOKERS, CARE_ROLES, CHECK_IN_ROLES
from scheduling.session_flags import SessionFlag, flags_by_session, session_flags
from scheduling.session_lifecycle import (
    session_check_in,
    session_complete,
    session_observe,
    session_start,
)

S = Session.Status


@dataclass(frozen=True)
class Action:
    name: str  # the URL segment and the service it calls
    label: str


# The buttons a session in each status offers, if the user's role allows the service. The
# service decides in the end (and says why not); this only keeps pointless buttons off the page.
CHECK_IN = Action("check_in", "Check in")
START = Action("start", "Start")
OBSERVE = Action("observe", "Start observation")
COMPLETE = Action("complete", "Complete")

SERVICES: dict[str, Callable[..., SessionChange]] = {
    CHECK_IN.name: session_check_in,
    START.name: session_start,
    OBSERVE.name: session_observe,
    COMPLETE.name: session_complete,
}
ROLES_FOR: dict[str, tuple[str, ...]] = {
    CHECK_IN.name: CHECK_IN_ROLES,
    START.name: CARE_ROLES,
    OBSERVE.name: CARE_ROLES,
    COMPLETE.name: CARE_ROLES,
}
DONE: dict[str, str] = {
    CHECK_IN.name: "checked in",
    START.name: "started",
    OBSERVE.name: "moved to observation",
    COMPLETE.name: "completed",
}


@dataclass(frozen=True)
class Row:
    session: Session
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    resources: list[str]
    actions: list[Action]
    flags: tuple[SessionFlag, ...] = ()


def _next_action(session: Session, over: frozenset[int] | set[int]) -> Action | None:
    if session.status == S.SCHEDULED:
        return CHECK_IN
    if session.status == S.CHECKED_IN:
        return START
    if session.status == S.IN_PROGRESS:
        # The board does not load protocol specs (one query per row); a session planned with
        # an observation period has its observation_end after its end. Once its observation
        # record is signed (`over`), completing is the one step left.
        observed = session.observation_end > session.end and session.pk not in over
        return OBSERVE if observed else COMPLETE
    if session.status == S.OBSERVING:
        return COMPLETE
    return None


def _allowed(roles: frozenset[str], action: Action) -> bool:
    return ROLE_ADMIN in roles or bool(roles.intersection(ROLES_FOR[action.name]))


def _row(
    session: Session,
    zone: ZoneInfo,
    roles: frozenset[str],
    over: frozenset[int] | set[int] = frozenset(),
    flags: dict[int, list[SessionFlag]] | None = None,
) -> Row:
    names: list[str] = []
    for hold in session.holds.all():
        if hold.resource.name not in names:
            names.append(hold.resource.name)
    action = _next_action(session, over)
    return Row(
        session=session,
        start=session.start.astimezone(zone),
        end=session.end.astimezone(zone),
        observation_end=session.observation_end.astimezone(zone),
        resources=names,
        actions=[action] if action is not None and _allowed(roles, action) else [],
        flags=tuple((flags or {}).get(session.pk, ())),
    )


def _require_reader(user: User) -> frozenset[str]:
    try:
        require_role(user, *READ_ROLES, action="see the schedule")
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    return user_roles(user)


def _parse_day(value: str | None, site: Site) -> dt.date:
    if not value:
        return clock.now().astimezone(site.zone).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest("date: use the form 2026-12-01") from exc


def _parse_id(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest("site: must be a site id") from exc


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The day board of one of the user's sites: `?site=<id>&date=YYYY-MM-DD`, defaulting to
    the first site and today in its time zone."""
    user = acting_user(request)
    roles = _require_reader(user)
    sites = list(filter_sites(Site.objects.order_by("name", "id"), user, field="id"))
    if not sites:
        return render(request, "scheduling/no_site.html", status=200)
    wanted = _parse_id(request.GET.get("site"))
    site = sites[0] if wanted is None else next((s for s in sites if s.pk == wanted), None)
    if site is None:
        raise Http404("No such site.")
    day = _parse_day(request.GET.get("date"), site)
    try:
        day_board = selectors.day_board(user=user, site_id=site.pk, day=day)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    zone = site.zone
    over = observation_over([s for s in day_board.sessions if s.status == S.IN_PROGRESS])
    flags = session_flags(site=site, first=day, last=day)
    flagged = flags_by_session(flags)
    return render(
        request,
        "scheduling/board.html",
        {
            "site": site,
            "sites": sites,
            "day": day,
            "today": clock.now().astimezone(zone).date(),
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "rows": [_row(s, zone, roles, over, flagged) for s in day_board.sessions],
            "here": request.get_full_path(),
            "flags": flags,
            "can_book": ROLE_ADMIN in roles or bool(roles.intersection(BOOKERS)),
        },
    )


@login_required
@require_GET
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    user = acting_user(request)
    _require_reader(user)
    try:
        course = selectors.course_get(user=user, course_id=course_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    zone = course.site.zone
    sessions = list(course.sessions.all())
    return render(
        request,
        "scheduling/course.html",
        {
            "course": course,
            "site": course.site,
            "rows": [_row(s, zone, frozenset()) for s in sessions],
            "sessions_total": sum(s.active for s in sessions),
            "sessions_done": sum(s.status == S.COMPLETED for s in sessions),
        },
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_POST
def session_action(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    """Check in, start, observe or complete a session, then back to the board (POST, CSRF)."""
    service = SERVICES.get(action)
    if service is None:
        raise Http404("No such action.")
    try:
        change = service(session_id=session_id, by=acting_user(request), now=clock.now())
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, f"Not {DONE[action]}: {exc.message}")
    else:
        session = change.session
        messages.success(
            request,
            f"{session.patient.full_name}: session {session.number} {DONE[action]}.",
        )
    return HttpResponseRedirect(_back(request))
