"""Scheduling results and rows to Out-schema dicts (explicit fields, never __all__).

Local times need the site's zone, which the schemas cannot know, so they are filled in here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from scheduling.change_results import Enrolment, Moved, SessionChange
from scheduling.models import Course, ReplanOffer, ResourceHold, Session
from scheduling.selectors import Availability, Board


def moved_out(items: list[Moved]) -> list[dict[str, Any]]:
    return [
        {
            "id": m.session.pk,
            "number": m.session.number,
            "phase": m.session.phase,
            "old_start": m.old_start,
            "start": m.session.start,
            "end": m.session.end,
            "observation_end": m.session.observation_end,
            "status": m.session.status,
            "sequence": m.session.sequence,
            "added": m.added,
        }
        for m in items
    ]


def booked_session_out(session: Session, holds: Sequence[ResourceHold]) -> dict[str, Any]:
    """SessionOut: a session of a booking or a change, with the given hold rows."""
    return {
        "id": session.pk,
        "course_id": session.course_id,
        "patient_id": session.patient_id,
        "site_id": session.site_id,
        "number": session.number,
        "phase": session.phase,
        "phase_index": session.phase_index,
        "start": session.start,
        "end": session.end,
        "observation_end": session.observation_end,
        "status": session.status,
        "sequence": session.sequence,
        "scales_due": list(session.scales_due or []),
        "status_reason": session.status_reason,
        "holds": list(holds),
    }


def enrolment_out(enrolment: Enrolment) -> dict[str, Any]:
    """CourseOut: the booked course (unsaved in a dry run), its sessions and adjustments."""
    course = enrolment.course
    return {
        "id": course.pk,
        "patient_id": course.patient_id,
        "site_id": course.site_id,
        "protocol_id": course.protocol_id,
        "protocol_slug": course.protocol.slug,
        "protocol_version": course.protocol.version,
        "protocol_name": course.protocol.name,
        "modality": course.modality,
        "start_date": course.start_date,
        "preferred_time": course.preferred_time,
        "status": course.status,
        "status_reason": course.status_reason,
        "prescriber_id": course.prescriber_id,
        "booked_by_id": course.booked_by_id,
        "sessions": [booked_session_out(s, enrolment.holds_of(s)) for s in enrolment.sessions],
        "adjustments": list(enrolment.adjustments),
    }


def saved_session_out(session: Session) -> dict[str, Any]:
    return booked_session_out(session, list(session.holds.all()))


def change_out(change: SessionChange) -> dict[str, Any]:
    # A moved session shows the holds the move wrote (a dry run has rolled them back).
    holds = next(
        (m.holds for m in change.moved if m.session is change.session and m.holds is not None),
        None,
    )
    session = (
        saved_session_out(change.session)
        if holds is None
        else booked_session_out(change.session, holds)
    )
    return {"session": session, "moved": moved_out(change.moved), "notes": change.notes}


def hold_out(hold: ResourceHold, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "resource_id": hold.resource_id,
        "resource_name": hold.resource.name,
        "kind": hold.resource.kind,
        "part": hold.part,
        "start": hold.start,
        "end": hold.end,
        "start_local": hold.start.astimezone(zone),
        "end_local": hold.end.astimezone(zone),
    }


def session_out(session: Session, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": session.pk,
        "number": session.number,
        "phase": session.phase,
        "phase_index": session.phase_index,
        "status": session.status,
        "status_reason": session.status_reason,
        "sequence": session.sequence,
        "start": session.start,
        "end": session.end,
        "observation_end": session.observation_end,
        "start_local": session.start.astimezone(zone),
        "end_local": session.end.astimezone(zone),
        "observation_end_local": session.observation_end.astimezone(zone),
        "holds": [hold_out(h, zone) for h in session.holds.all()],
    }


def course_detail_out(course: Course) -> dict[str, Any]:
    zone = course.site.zone
    sessions = list(course.sessions.all())
    starts = [s.start for s in sessions if s.active]
    return {
        "id": course.pk,
        "site_id": course.site_id,
        "patient_id": course.patient_id,
        "patient_name": course.patient.full_name,
        "mrn": course.patient.mrn,
        "protocol_id": course.protocol_id,
        "protocol_name": course.protocol.name,
        "protocol_version": course.protocol.version,
        "modality": course.modality,
        "status": course.status,
        "start_date": course.start_date,
        "preferred_time": course.preferred_time,
        "sessions_total": sum(s.active for s in sessions),
        "sessions_done": sum(s.status == Session.Status.COMPLETED for s in sessions),
        "first_start": min(starts, default=None),
        "last_start": max(starts, default=None),
        "timezone": course.site.timezone,
        "status_reason": course.status_reason,
        "prescriber": course.prescriber.get_username() if course.prescriber else None,
        "booked_by": course.booked_by.get_username(),
        "created_at": course.created_at,
        "sessions": [session_out(s, zone) for s in sessions],
    }


def board_out(board: Board) -> dict[str, Any]:
    zone = board.site.zone
    sessions = []
    for session in board.sessions:
        row = session_out(session, zone)
        row.update(
            course_id=session.course_id,
            patient_id=session.patient_id,
            patient_name=session.patient.full_name,
            mrn=session.patient.mrn,
            modality=session.course.modality,
            protocol_name=session.course.protocol.name,
        )
        sessions.append(row)
    return {
        "site_id": board.site.pk,
        "site_name": board.site.name,
        "date": board.day,
        "timezone": board.site.timezone,
        "resource_id": board.resource.pk if board.resource else None,
        "sessions": sessions,
    }


def availability_out(result: Availability) -> dict[str, Any]:
    zone = result.site.zone
    return {
        "site_id": result.site.pk,
        "kind": result.kind,
        "start": result.first,
        "end": result.last,
        "minutes": result.minutes,
        "step": result.step_minutes,
        "timezone": result.site.timezone,
        "resources": [
            {
                "resource_id": r.pk,
                "resource_name": r.name,
                "slots": [
                    {
                        "start": s.start,
                        "end": s.end,
                        "start_local": s.start.astimezone(zone),
                        "end_local": s.end.astimezone(zone),
                    }
                    for s in result.slots[r.pk]
                ],
            }
            for r in result.resources
        ],
    }


def replan_offer_out(offer: ReplanOffer) -> dict[str, Any]:
    decided_by = offer.decided_by
    return {
        "id": offer.pk,
        "kind": offer.kind,
        "kind_label": offer.get_kind_display(),
        "status": offer.status,
        "session_id": offer.session_id,
        "session_number": offer.session.number,
        "session_start": offer.session.start,
        "course_id": offer.course_id,
        "patient_name": offer.session.patient.full_name,
        "patient_mrn": offer.session.patient.mrn,
        "site_id": offer.site_id,
        "created_at": offer.created_at,
        "decided_by": (decided_by.get_full_name() or decided_by.get_username())
        if decided_by
        else None,
        "decided_at": offer.decided_at,
        "note": offer.note,
        "result": offer.result,
    }
