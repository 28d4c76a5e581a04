"""A session's page: its details and, for the booking roles, reschedule (a free time from the
availability search), cancel with a reason, and no-show. Each change is first run as a dry run
of the same service, listing the later sessions it would move, and only then confirmed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic import clock
from clinic.errors import DomainError
from clinic.pages import BOOKING, CLINICAL, STAFF, can, page_errors, require
from clinic.permissions import acting_user, filter_sites
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.change_results import SessionChange
from scheduling.error_codes import ERR_HOLDS_TAKEN
from scheduling.forms import CancelForm, NoShowForm
from scheduling.models import Session
from scheduling.reschedule_options import DayStarts, free_starts_on_day, session_move_window
from scheduling.session_cancellation import (
    missed_session_adds_makeup,
    missed_session_rule,
    no_show_opens_at,
    session_cancel,
    session_no_show,
)
from scheduling.session_reschedule import session_reschedule
from scheduling.session_restore import RESTORED, session_restore
from scheduling.views.board import check_in_override

S = Session.Status


def _session(request: HttpRequest, session_id: int) -> Session:
    session = (
        filter_sites(Session.objects.all(), acting_user(request))
        .select_related("patient", "course__protocol", "site")
        .prefetch_related("holds__resource")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def _picker(request: HttpRequest, session: Session) -> DayStarts:
    """The reschedule picker: the day asked for by `?day=YYYY-MM-DD` (else the session's own
    day, or today once it is past) and its free starts for every resource the session needs."""
    zone = session.site.zone
    now = clock.now()
    default = max(now.astimezone(zone).date(), session.start.astimezone(zone).date())
    raw = request.GET.get("day", "") or request.POST.get("day", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        first, last = session_move_window(session, now=now)
        return DayStarts(first, last, default, message="Give the day as YYYY-MM-DD.")
    return free_starts_on_day(session_id=session.pk, by=acting_user(request), day=day, now=now)


def _free_times(picker: DayStarts, zone: ZoneInfo) -> list[tuple[str, dt.datetime]]:
    return [(s.isoformat(), s.astimezone(zone)) for s in picker.starts]


def _moves(change: SessionChange, zone: Any) -> list[dict[str, Any]]:
    """The sessions the change touches: a cancelled (or no-show) session itself first, then
    every moved or added one."""
    dropped = [
        {
            "number": change.session.number,
            "added": False,
            "restored": False,
            "dropped": change.session.get_status_display().lower(),
            "old": change.session.start.astimezone(zone),
            "new": None,
        }
        for _ in [1]
        if change.session.status in Session.INACTIVE
    ]
    return dropped + [
        {
            "number": m.session.number,
            "added": m.added,
            "dropped": m.session.get_status_display().lower()
            if m.session.status in Session.INACTIVE
            else "",
            "restored": m.session.status_reason == RESTORED and m.old_start == m.session.start,
            "old": m.old_start.astimezone(zone) if m.old_start else None,
            "new": m.session.start.astimezone(zone),
        }
        for m in change.moved
    ]


def _cancel_form(session: Session, data: Any = None) -> CancelForm:
    course = session.course
    return CancelForm(
        data, rule=missed_session_rule(course), adds=missed_session_adds_makeup(course)
    )


def _render(
    request: HttpRequest, session: Session, status: int = 200, **extra: Any
) -> HttpResponse:
    booking = can(request.user, *BOOKING)
    context: dict[str, Any] = {
        "session": session,
        "site": session.site,
        "patient": session.patient,
        "resources": sorted({h.resource.name for h in session.holds.all()}),
        "can_book": booking,
        "can_chart": can(request.user, *CLINICAL),
        "open": session.status in (S.SCHEDULED, S.CHECKED_IN),
        "movable": session.status == S.SCHEDULED,
        "restorable": session.status == S.CANCELLED,
        # The service refuses a no-show before then (session_cancellation.no_show_opens_at).
        "no_show_opens": no_show_opens_at(session),
        "no_show_open": clock.now() >= no_show_opens_at(session),
        "cancel_form": extra.pop("cancel_form", None) or _cancel_form(session),
        "no_show_form": extra.pop("no_show_form", None) or NoShowForm(),
        "check_in_override": check_in_override(
            session, acting_user(request), next_url=request.path
        ),
        **extra,
    }
    if booking and context["movable"] and "slots" not in context:
        picker = _picker(request, session)
        context["picker"] = picker
        context["slots"] = _free_times(picker, session.site.zone)
    return render(request, "scheduling/session.html", context, status=status)


@login_required
@require_GET
@page_errors
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    require(request.user, *STAFF, action="see the schedule")
    return _render(request, _session(request, session_id))


@login_required
@require_POST
@page_errors
def session_change(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    """POST reschedule|cancel|no_show: without `confirm`, a dry run listing what would move;
    with it, the change itself (once per form key)."""
    require(request.user, *BOOKING, action="change bookings")
    session = _session(request, session_id)
    zone = session.site.zone
    by = acting_user(request)
    extra: dict[str, Any] = {}
    planned = _planned_change(request, session, action, by=by, now=clock.now(), extra=extra)
    if isinstance(planned, HttpResponse):
        return planned
    change, done = planned
    try:
        if not request.POST.get("confirm"):
            preview = change(True)
            return _render(
                request,
                session,
                action=action,
                moves=_moves(preview, zone),
                notes=preview.notes,
                **extra,
            )
        ran, result = submit_once(
            key=request.POST.get(KEY_FIELD), user=by, change=lambda: change(False)
        )
    except DomainError as exc:
        return _render(request, session, exc.status, error=exc.message, action=action, **extra)
    if not ran:
        messages.info(request, "Already done: the form was sent twice.")
    else:
        assert result is not None
        messages.success(request, _done_text(done, result, session, zone))
    return HttpResponseRedirect(reverse("session-detail", args=[session.pk]))


def _planned_change(
    request: HttpRequest,
    session: Session,
    action: str,
    *,
    by: User,
    now: dt.datetime,
    extra: dict[str, Any],
) -> tuple[Callable[[bool], SessionChange], str] | HttpResponse:
    """The change `action` asks for (run with dry_run True or False) and the message saying it
    was done; or the page again (422) when the form is not valid. Puts the form and the chosen
    time in `extra`, for the page shown after."""
    zone = session.site.zone
    if action == "reschedule":
        raw = request.POST.get("to", "")
        try:
            to = dt.datetime.fromisoformat(raw)
        except ValueError:
            return _render(request, session, 422, error="Choose a free time.")
        if to.tzinfo is None:
            return _render(request, session, 422, error="Choose a free time.")
        extra["chosen"] = raw

        def change(dry_run: bool) -> SessionChange:
            return session_reschedule(session_id=session.pk, to=to, by=by, dry_run=dry_run, now=now)

        return change, f"Session {session.number} moved to {to.astimezone(zone):%a %d %b %H:%M}."
    if action == "cancel":
        form = _cancel_form(session, request.POST)
        extra["cancel_form"] = form
        if not form.is_valid():
            return _render(request, session, 422, **extra)
        reason = form.cleaned_data["reason"]
        make_up = form.make_up_choice()

        def cancel(dry_run: bool) -> SessionChange:
            return session_cancel(
                session_id=session.pk,
                reason=reason,
                by=by,
                dry_run=dry_run,
                now=now,
                make_up=make_up,
            )

        return cancel, f"Session {session.number} cancelled."
    if action == "no_show":
        no_show = NoShowForm(request.POST)
        extra["no_show_form"] = no_show
        if not no_show.is_valid():
            return _render(request, session, 422, **extra)
        note = no_show.cleaned_data["reason"]

        def mark(dry_run: bool) -> SessionChange:
            return session_no_show(
                session_id=session.pk, reason=note, by=by, dry_run=dry_run, now=now
            )

        return mark, f"Session {session.number} marked as a no-show."
    if action == "restore":
        return _planned_restore(request, session, by=by, now=now, extra=extra)
    raise Http404("No such change.")


def _planned_restore(
    request: HttpRequest,
    session: Session,
    *,
    by: User,
    now: dt.datetime,
    extra: dict[str, Any],
) -> tuple[Callable[[bool], SessionChange], str] | HttpResponse:
    """Restore at the old time; when that is taken, the preview offers the nearest free start
    (the service's `holds_taken` names it) and confirming restores the session there."""
    zone = session.site.zone
    raw = request.POST.get("to", "")
    try:
        to = dt.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return _render(request, session, 422, error="Choose a free time.")
    if to is not None and to.tzinfo is None:
        return _render(request, session, 422, error="Choose a free time.")

    def restore(dry_run: bool) -> SessionChange:
        try:
            return session_restore(session_id=session.pk, by=by, to=to, dry_run=dry_run, now=now)
        except DomainError as exc:
            nearest = exc.details.get("nearest")
            if not (dry_run and exc.code == ERR_HOLDS_TAKEN and nearest):
                raise
            extra["chosen"] = nearest
            extra["taken"] = exc.message
            moved = dt.datetime.fromisoformat(nearest)
            return session_restore(session_id=session.pk, by=by, to=moved, dry_run=True, now=now)

    where = f" at {to.astimezone(zone):%a %d %b %H:%M}" if to else ""
    if raw:
        extra["chosen"] = raw
    return restore, f"Session {session.number} restored{where}."


def _done_text(done: str, result: SessionChange, session: Session, zone: ZoneInfo) -> str:
    moved = [
        m
        for m in _moves(result, zone)
        if m["new"] and (m["number"] != session.number or m["added"])
    ]
    if moved:
        done += " Also: " + "; ".join(
            f"session {m['number']} {'added' if m['added'] else 'moved'} to "
            f"{m['new']:%a %d %b %H:%M}"
            for m in moved
        )
    return " ".join([done, *result.notes])
