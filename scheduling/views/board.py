"""Staff web pages: the day board and the session buttons on it.

Thin like the API handlers: parse the request, call the selectors and services the API uses,
render. Roles and site membership are checked by those same functions, so a page can never
allow what the API refuses: another site's session is a 404, a missing role a 403, and a
refused transition (screening not complete, wrong status) comes back as the service's message
on the board.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic import clock
from clinic.errors import DomainError, Forbidden, NotFound
from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, Site
from clinic.models import ROLES as READ_ROLES
from clinic.pages import can, page_errors, pick_site, require, safe_next, user_sites
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling import selectors
from scheduling.check_in_window import check_in_window
from scheduling.lifecycle_gates import observation_over
from scheduling.models import Session
from scheduling.roles import BOOKERS
from scheduling.session_flags import SessionFlag, flags_by_session, session_flags
from scheduling.session_lifecycle import (
    CHECK_IN,
    COMPLETE,
    OBSERVE,
    START,
    STEPS,
    next_step,
    session_check_in,
)

S = Session.Status


@dataclass(frozen=True)
class Action:
    name: str  # the URL segment: a lifecycle step (session_lifecycle.STEPS)
    label: str


ACTIONS: dict[str, Action] = {
    CHECK_IN: Action(CHECK_IN, "Check in"),
    START: Action(START, "Start"),
    OBSERVE: Action(OBSERVE, "Start observation"),
    COMPLETE: Action(COMPLETE, "Complete"),
}
DONE: dict[str, str] = {
    CHECK_IN: "checked in",
    START: "started",
    OBSERVE: "moved to observation",
    COMPLETE: "completed",
}


class CheckInOverrideForm(forms.Form):
    # The API's cap (scheduling/api/schemas.py SessionCheckInIn): the history column holds 100
    # characters with the "check-in override: " prefix.
    reason = forms.CharField(label="Override reason", max_length=80, strip=True)


@dataclass(frozen=True)
class CheckInOverride:
    """What the override include (templates/scheduling/includes/check_in_override.html) shows
    for a scheduled session whose check-in window is not open: the window, and for a clinician
    (or admin) a reason field posting to the same check-in service with `override_reason`."""

    session: Session
    window: str
    may_override: bool
    form: CheckInOverrideForm
    next: str


def check_in_override(
    session: Session,
    user: User,
    *,
    next_url: str = "",
    form: CheckInOverrideForm | None = None,
    now: dt.datetime | None = None,
    zone: ZoneInfo | None = None,
) -> CheckInOverride | None:
    """The override panel of `session`, or None while its check-in window is open (or it is
    not waiting to be checked in). Who may override is the service's rule (clinicians); this
    only decides whether to offer the field. No query when given the site's `zone`."""
    if session.status != S.SCHEDULED:
        return None
    zone = zone or session.site.zone
    window = check_in_window(start=session.start, end=session.end, zone=zone)
    if window.contains(now or clock.now()):
        return None
    return CheckInOverride(
        session=session,
        window=window.describe(zone),
        may_override=can(user, ROLE_CLINICIAN),
        form=form or CheckInOverrideForm(auto_id=f"override-%s-{session.pk}"),
        next=next_url,
    )


@dataclass(frozen=True)
class Row:
    session: Session
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    resources: list[str]
    actions: list[Action]
    flags: tuple[SessionFlag, ...] = ()
    override: CheckInOverride | None = None


def _next_action(session: Session, over: frozenset[int] | set[int]) -> Action | None:
    # The board does not load protocol specs (one query per row); a session planned with an
    # observation period has its observation_end after its end. Once its observation record
    # is signed (`over`), completing is the one step left.
    step = next_step(
        session.status,
        observed=session.observation_end > session.end,
        observation_over=session.pk in over,
    )
    return None if step is None else ACTIONS[step]


def _allowed(roles: frozenset[str], action: Action) -> bool:
    # Only keeps pointless buttons off the page: the step's service checks the role again.
    return ROLE_ADMIN in roles or bool(roles.intersection(STEPS[action.name].roles))


def session_row(
    session: Session,
    zone: ZoneInfo,
    roles: frozenset[str],
    over: frozenset[int] | set[int] = frozenset(),
    flags: dict[int, list[SessionFlag]] | None = None,
    user: User | None = None,
    here: str = "",
) -> Row:
    """A session as a line of the board (also of the course page, which has no buttons)."""
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
        override=None
        if user is None
        else check_in_override(session, user, next_url=here, zone=zone),
    )


def _parse_day(value: str | None, site: Site) -> dt.date:
    if not value:
        return clock.now().astimezone(site.zone).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest("date: use the form 2026-12-01") from exc


@login_required
@require_GET
@page_errors
def board(request: HttpRequest) -> HttpResponse:
    """The day board of one of the user's sites: `?site=<id>&date=YYYY-MM-DD`, defaulting to
    the first site and today in its time zone."""
    user = acting_user(request)
    roles = require(user, *READ_ROLES, action="see the schedule")
    sites = user_sites(user)
    if not sites:
        return render(request, "scheduling/no_site.html", status=200)
    site = pick_site(request, sites)
    day = _parse_day(request.GET.get("date"), site)
    day_board = selectors.day_board(user=user, site_id=site.pk, day=day)
    zone = site.zone
    over = observation_over([s for s in day_board.sessions if s.status == S.IN_PROGRESS])
    flags = session_flags(site=site, first=day, last=day)
    flagged = flags_by_session(flags)
    here = request.get_full_path()
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
            "rows": [
                session_row(s, zone, roles, over, flagged, user=user, here=here)
                for s in day_board.sessions
            ],
            "here": here,
            "flags": flags,
            "can_book": ROLE_ADMIN in roles or bool(roles.intersection(BOOKERS)),
        },
    )


@login_required
@require_POST
@page_errors
def session_action(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    """Check in, start, observe or complete a session, then back to the board (POST, CSRF)."""
    step = STEPS.get(action)
    if step is None:
        raise Http404("No such action.")
    if action == CHECK_IN and request.POST.get("override"):
        return _check_in_with_override(request, session_id)
    try:
        change = step.service(session_id=session_id, by=acting_user(request), now=clock.now())
    except NotFound:
        raise  # page_errors: 404, as the API
    except DomainError as exc:
        messages.error(request, f"Not {DONE[action]}: {exc.message}")
    else:
        session = change.session
        messages.success(
            request,
            f"{session.patient.full_name}: session {session.number} {DONE[action]}.",
        )
    return HttpResponseRedirect(safe_next(request, reverse("home")))


def _check_in_with_override(request: HttpRequest, session_id: int) -> HttpResponse:
    """POST check_in with `override=1`: the check-in service with `override_reason`, once per
    form key. An empty or too long reason is a 422, a refusal (not a clinician: 403; another
    day: 409) the service's own message, shown with the field again."""
    by = acting_user(request)
    session = selectors.session_for_reader(user=by, session_id=session_id)  # 404: other site
    form = CheckInOverrideForm(request.POST, auto_id=f"override-%s-{session.pk}")
    if not form.is_valid():
        return _override_page(request, session, form, 422)
    reason = form.cleaned_data["reason"]
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD),
            user=by,
            change=lambda: session_check_in(
                session_id=session.pk, by=by, now=clock.now(), override_reason=reason
            ),
        )
    except (NotFound, Forbidden):
        raise  # page_errors: 404 / 403 with the service's reason
    except DomainError as exc:
        return _override_page(request, session, form, exc.status, error=exc.message)
    if ran:
        messages.success(
            request,
            f"{session.patient.full_name}: session {session.number} checked in "
            f"(override: {reason}).",
        )
    else:
        messages.info(request, "Already recorded: the form was sent twice.")
    return HttpResponseRedirect(safe_next(request, reverse("home")))


def _override_page(
    request: HttpRequest,
    session: Session,
    form: CheckInOverrideForm,
    status: int,
    error: str = "",
) -> HttpResponse:
    override = check_in_override(
        session, acting_user(request), next_url=safe_next(request, reverse("home")), form=form
    )
    return render(
        request,
        "scheduling/check_in_override.html",
        {"session": session, "site": session.site, "override": override, "error": error},
        status=status,
    )
