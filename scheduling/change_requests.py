"""Patients' "ask to change this appointment" (from their page, `/p/<token>/`) and staff's
answer. A request never moves anything: staff reschedule or cancel on the session page through
the usual services, then mark the request handled or declined with a note.

`change_request_create` is authorised by the patient's link (the caller resolved the token to
a live patient feed); `change_request_handle` by a scheduler or clinician of the site."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput, NotFound
from clinic.history import save_with_history
from clinic.models import ROLES
from clinic.permissions import filter_sites, require_role, user_site_ids
from scheduling.error_codes import (
    ERR_CHANGE_REQUEST_CLOSED,
    ERR_CHANGE_REQUEST_EXISTS,
    ERR_CHANGE_REQUEST_NOT_FOUND,
    ERR_SESSION_NOT_CHANGEABLE,
    ERR_SESSION_NOT_FOUND,
)
from scheduling.models import CalendarFeed, ChangeRequest, Session
from scheduling.roles import BOOKERS

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REASON_MAX = 500
PREFERRED_MAX = 300
OUTCOMES = {
    "handled": ChangeRequest.Status.HANDLED,
    "declined": ChangeRequest.Status.DECLINED,
}


def preferred_days_text(*, weekdays: list[str], text: str = "") -> str:
    """The weekdays ticked (in week order, unknown names dropped) and the free text, as one
    line staff read ("Monday, Thursday; mornings if possible")."""
    days = ", ".join(d for d in WEEKDAYS if d in set(weekdays))
    parts = [p for p in (days, " ".join(text.split())) if p]
    return "; ".join(parts)[:PREFERRED_MAX]


def change_request_create(
    *,
    patient_feed: CalendarFeed,
    session_id: int,
    reason: str = "",
    preferred_days: str = "",
    now: dt.datetime | None = None,
) -> ChangeRequest:
    """Record the patient's wish to change one of their upcoming scheduled sessions. 404 for a
    session that is not theirs, 422 for a past, started or cancelled one, 409 when a request
    for it is still open (one at a time, so a double submit or a repeat says "already asked")."""
    now = resolve_now(now)
    if patient_feed.kind != CalendarFeed.Kind.PATIENT or patient_feed.patient_id is None:
        raise NotFound("No such appointment.", code=ERR_SESSION_NOT_FOUND)
    with transaction.atomic():
        session = (
            Session.objects.select_for_update()
            .filter(pk=session_id, patient_id=patient_feed.patient_id)
            .first()
        )
        if session is None:
            raise NotFound("No such appointment.", code=ERR_SESSION_NOT_FOUND)
        if session.status != Session.Status.SCHEDULED or session.start <= now:
            raise InvalidInput(
                "Only an upcoming appointment can be changed; please call the clinic.",
                code=ERR_SESSION_NOT_CHANGEABLE,
            )
        if ChangeRequest.objects.filter(session=session, status=ChangeRequest.Status.OPEN).exists():
            raise Conflict(
                "You already asked to change this appointment; the clinic will call you.",
                code=ERR_CHANGE_REQUEST_EXISTS,
            )
        request = ChangeRequest(
            session=session,
            patient_id=patient_feed.patient_id,
            site_id=session.site_id,
            reason=" ".join(reason.split())[:REASON_MAX],
            preferred_days=preferred_days.strip()[:PREFERRED_MAX],
            created_at=now,
        )
        try:
            with transaction.atomic():
                save_with_history(request, None)
        except IntegrityError as exc:  # a concurrent ask won the race (the unique constraint)
            raise Conflict(
                "You already asked to change this appointment; the clinic will call you.",
                code=ERR_CHANGE_REQUEST_EXISTS,
            ) from exc
    return request


def change_request_handle(
    *, request_id: int, by: User, outcome: str, note: str = "", now: dt.datetime | None = None
) -> ChangeRequest:
    """Close an open request as "handled" (the change was made or agreed by phone) or
    "declined", with a note. Schedulers and clinicians of the request's site."""
    require_role(by, *BOOKERS, action="answer a patient's change request")
    status = OUTCOMES.get(outcome)
    if status is None:
        raise InvalidInput("Choose handled or declined.")
    now = resolve_now(now)
    with transaction.atomic():
        found = ChangeRequest.objects.select_for_update().filter(pk=request_id).first()
        allowed = user_site_ids(by)
        if found is None or (allowed is not None and found.site_id not in allowed):
            raise NotFound(f"No change request {request_id}.", code=ERR_CHANGE_REQUEST_NOT_FOUND)
        if found.status != ChangeRequest.Status.OPEN:
            raise Conflict(
                f"This change request was already {found.get_status_display().lower()}.",
                code=ERR_CHANGE_REQUEST_CLOSED,
            )
        found.status = status
        found.handled_by = by
        found.handled_at = now
        found.staff_note = " ".join(note.split())[:REASON_MAX]
        save_with_history(found, by)
    return found


QUEUE_LIMIT = 100


def _readable(user: User) -> QuerySet[ChangeRequest]:
    require_role(user, *ROLES, action="read patients' change requests")
    return filter_sites(
        ChangeRequest.objects.select_related("session", "patient", "site", "handled_by"), user
    )


def change_request_queue(
    *, user: User, status: str = "open", site_id: int | None = None
) -> list[ChangeRequest]:
    """Requests at the user's sites (open ones by default, "all" for any), oldest first, at
    most QUEUE_LIMIT: one query for any number of rows."""
    qs = _readable(user)
    if status != "all":
        qs = qs.filter(status=status)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    return list(qs.order_by("created_at", "id")[:QUEUE_LIMIT])


def change_request_for_reader(*, user: User, request_id: int) -> ChangeRequest:
    """One request at the user's sites; 404 `change_request_not_found` for any other."""
    found = _readable(user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(f"No change request {request_id}.", code=ERR_CHANGE_REQUEST_NOT_FOUND)
    return found


def open_requests_by_session(*, patient_id: int) -> dict[int, ChangeRequest]:
    """The patient's open requests, by session id (what their page says "you asked" for)."""
    rows = ChangeRequest.objects.filter(patient_id=patient_id, status=ChangeRequest.Status.OPEN)
    return {r.session_id: r for r in rows}
