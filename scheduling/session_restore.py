"""Restoring a session cancelled by mistake.

Only a cancelled session (not a no-show), still ahead, of a course neither completed nor
discontinued. It goes back to scheduled at its old time when its holds are still free (the same
resources, re-activated; the sequence rises so calendar feeds see it). Otherwise a 409
`holds_taken` names the nearest free start (`nearest`), which the caller may pass as `to`: the
session is restored there, as a reschedule (new holds, later sessions pushed as a move would).

A make-up session the cancellation added for it is cancelled too (marked, never deleted), so the
restore does not leave the course one session too long.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import Q

from clinic.clock import require_aware, resolve_now
from clinic.errors import Conflict
from clinic.permissions import require_role
from scheduling.booking_change import booking_transaction
from scheduling.change_results import ChangePreview, Moved, SessionChange
from scheduling.error_codes import ERR_HOLDS_TAKEN, ERR_NOT_RESTORABLE
from scheduling.models import Course, ResourceHold, Session
from scheduling.reschedule_options import nearest_start
from scheduling.roles import BOOKERS
from scheduling.selectors import session_for_reader
from scheduling.session_access import lock_course, lock_session, save_status
from scheduling.session_reschedule import session_replan

S = Session.Status
RESTORED = "restored"


def session_restore(
    *,
    session_id: int,
    by: User,
    to: dt.datetime | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> SessionChange:
    """Put a cancelled session back on the schedule (at its old time, or at `to` when given:
    a restore as a reschedule). `dry_run`: the same change, rolled back (the preview)."""
    now = resolve_now(now)
    if to is not None:
        require_aware(to, "to")
    session = session_for_reader(user=by, session_id=session_id)
    require_role(by, *BOOKERS, action="restore a session")
    try:
        with booking_transaction():
            change = _restore(session, to=to, by=by, now=now)
            if dry_run:
                raise ChangePreview(change)
    except ChangePreview as preview:
        return preview.change
    return change


def _refuse(session: Session, why: str) -> Conflict:
    return Conflict(
        f"Session {session.number} cannot be restored: {why}.",
        code=ERR_NOT_RESTORABLE,
        status=session.status,
    )


def _restore(
    session: Session, *, to: dt.datetime | None, by: User, now: dt.datetime
) -> SessionChange:
    course = lock_course(session.course_id)
    lock_session(session)
    if session.status != S.CANCELLED:
        raise _refuse(session, f"it is {session.get_status_display().lower()}, not cancelled")
    if course.status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
        raise _refuse(session, f"the course is {course.status}")
    if session.start <= now and to is None:
        raise _refuse(session, "its time has passed; book a new session instead")
    dropped = _drop_makeup(session, by=by, now=now)
    session.status = S.SCHEDULED
    session.status_reason = RESTORED
    # Saved before the checks below (they read the course as the reschedule does); a refusal
    # rolls it back with the rest.
    save_status(session, by, ["status_reason"])
    if to is not None:
        change = session_replan(session, to=to, by=by, now=now)
        change.moved = [*dropped, *change.moved]
        return change
    if _holds_taken(session):
        nearest = nearest_start(session, by=by, now=now)
        zone = session.site.zone
        where = (
            f" The nearest free start is {nearest.astimezone(zone):%a %d %b %H:%M}."
            if nearest
            else " No free start was found nearby."
        )
        raise Conflict(
            f"Session {session.number}'s time is no longer free.{where}",
            code=ERR_HOLDS_TAKEN,
            nearest=nearest.isoformat() if nearest else None,
        )
    ResourceHold.objects.filter(session=session).update(active=True)
    return SessionChange(session, [*dropped, Moved(session, session.start)])


def _holds_taken(session: Session) -> bool:
    """Whether another active booking now uses one of the session's resources, or the patient,
    in its time."""
    holds = list(ResourceHold.objects.filter(session=session))
    if not holds:
        return False
    overlap = Q()
    for h in holds:
        overlap |= Q(resource_id=h.resource_id, start__lt=h.end, end__gt=h.start)
    resource = ResourceHold.objects.filter(overlap, active=True).exclude(session=session)
    patient = Session.objects.filter(
        patient_id=session.patient_id,
        active=True,
        start__lt=session.observation_end,
        observation_end__gt=session.start,
    ).exclude(pk=session.pk)
    return resource.exists() or patient.exists()


def _drop_makeup(session: Session, *, by: User, now: dt.datetime) -> list[Moved]:
    """Cancel the make-up the cancellation added for `session` (its status reason says so,
    scheduling/session_cancellation.py `makeup_book`), when it is still scheduled."""
    makeup = (
        Session.objects.select_for_update()
        .filter(
            course_id=session.course_id,
            status=S.SCHEDULED,
            status_reason=f"make-up for session {session.number}",
        )
        .order_by("-number")
        .first()
    )
    if makeup is None:
        return []
    makeup.status = S.CANCELLED
    makeup.status_reason = f"session {session.number} was restored"
    makeup.updated_at = now
    save_status(makeup, by, ["status_reason"])
    ResourceHold.objects.filter(session=makeup).update(active=False)
    return [Moved(makeup, makeup.start)]
