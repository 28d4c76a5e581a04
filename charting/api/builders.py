"""Rows to Out-schema dicts (explicit fields, never __all__), shared by the handlers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from charting import services
from charting.models import (
    Alert,
    MonitoringFormItem,
    ObservationRecord,
    ScaleAdministration,
    ScreeningResponse,
    TreatmentParameters,
)
from clinic.errors import DomainError
from scheduling.models import Session


def _who(user: Any) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _screening_out(s: ScreeningResponse) -> dict[str, Any]:
    return {
        "id": s.pk,
        "level": s.level,
        "template": s.template.slug,
        "template_version": s.template.version,
        "course_id": s.course_id,
        "session_id": s.session_id,
        "answers": s.answers,
        "status": s.status,
        "blocking": s.blocking,
        "hard_stops": s.hard_stops,
        "review_items": s.review_items,
        "completed_by": _who(s.completed_by),
        "completed_at": s.completed_at,
        "reviewed_by": _who(s.reviewed_by),
        "reviewed_at": s.reviewed_at,
        "review_note": s.review_note,
        "override_by": _who(s.override_by),
        "override_at": s.override_at,
        "override_reason": s.override_reason,
    }


def _alert_out(a: Alert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "message": a.message,
        "course_id": a.course_id,
        "session_id": a.session_id,
        "record_id": a.record_id,
        "scale_id": a.scale_id,
        "raised_at": a.raised_at,
        "acknowledged_by": _who(a.acknowledged_by),
        "acknowledged_at": a.acknowledged_at,
        "note": a.note,
    }


def _observation_out(record: ObservationRecord) -> dict[str, Any]:
    spec = record.template.parsed
    entries = list(
        record.entries.select_related("recorded_by", "checkpoint").order_by("taken_at", "id")
    )
    missing = services.observation_missing(record)
    by_entry = {e.pk: e for e in entries}
    now = timezone.now()
    checkpoints = []
    for cp in record.checkpoints.all():
        mine = [e for e in entries if e.checkpoint_id == cp.pk]
        checkpoints.append(
            {
                "key": cp.key,
                "label": cp.label,
                "offset_minutes": cp.offset_minutes,
                "before_anchor": cp.before_anchor,
                "required": cp.required,
                "discharge": cp.discharge,
                "due_at": cp.due_at,
                "complete": cp.key not in missing,
                "overdue": record.status == "open" and cp.key in missing and cp.due_at < now,
                "missing": missing.get(cp.key, []),
                "entries": [
                    {
                        "id": e.pk,
                        "field": e.field_key,
                        "value": e.value,
                        "taken_at": e.taken_at,
                        "recorded_by": _who(e.recorded_by),
                        "recorded_at": e.recorded_at,
                        "alert": e.alert_message,
                        "superseded": e.superseded_by_id is not None,
                        "is_amendment": e.is_amendment,
                    }
                    for e in mine
                ],
            }
        )
    amendments = [
        {
            "id": a.pk,
            "checkpoint": by_entry[a.original_id].checkpoint.key,
            "field": by_entry[a.original_id].field_key,
            "original_value": by_entry[a.original_id].value,
            "new_value": by_entry[a.replacement_id].value,
            "reason": a.reason,
            "amended_by": _who(a.amended_by),
            "amended_at": a.amended_at,
        }
        for a in record.amendments.select_related("amended_by")
    ]
    return {
        "id": record.pk,
        "session_id": record.session_id,
        "template": record.template.slug,
        "template_version": record.template.version,
        "anchor": spec.anchor,
        "anchor_at": record.anchor_at,
        "anchor_recorded": record.anchor_recorded,
        "minimum_observation_minutes": spec.minimum_observation_minutes,
        "earliest_discharge": record.anchor_at
        + dt.timedelta(minutes=spec.minimum_observation_minutes),
        "status": record.status,
        "signed_by": _who(record.signed_by),
        "signed_at": record.signed_at,
        "checkpoints": checkpoints,
        "alerts": [_alert_out(a) for a in record.alerts.select_related("acknowledged_by")],
        "amendments": amendments,
    }


def _parameters_out(p: TreatmentParameters) -> dict[str, Any]:
    return {
        "session_id": p.session_id,
        "modality": p.modality,
        "values": p.values,
        "flags": p.flags,
        "recorded_by": _who(p.recorded_by),
        "recorded_at": p.recorded_at,
    }


def _scale_out(s: ScaleAdministration) -> dict[str, Any]:
    return {
        "id": s.pk,
        "course_id": s.course_id,
        "session_id": s.session_id,
        "scale": s.scale,
        "items": s.items,
        "total": s.total,
        "band": s.band,
        "safety_positive": s.safety_positive,
        "administered_at": s.administered_at,
        "recorded_by": _who(s.recorded_by),
    }


def _gate(check: Any, session: Session) -> dict[str, Any]:
    try:
        check(session)
    except DomainError as exc:
        return {"allowed": False, "code": exc.code, "message": exc.message}
    return {"allowed": True, "code": None, "message": None}


def _monitoring_out(item: MonitoringFormItem, now: dt.datetime, soon_days: int) -> dict[str, Any]:
    # "Today" is the site's calendar day: a form due on the 9th is not overdue at 21:00 on the
    # 9th in New York just because it is already the 10th in UTC.
    today = now.astimezone(item.site.zone).date()
    days_left = (item.due_date - today).days
    if item.status == MonitoringFormItem.Status.SUBMITTED:
        state = "submitted"
    elif days_left < 0:
        state = "overdue"
    elif days_left <= soon_days:
        state = "due_soon"
    else:
        state = "due"
    return {
        "id": item.pk,
        "session_id": item.session_id,
        "course_id": item.course_id,
        "patient_id": item.patient_id,
        "patient_name": item.patient.full_name,
        "session_date": item.session.start.astimezone(item.site.zone).date(),
        "due_date": item.due_date,
        "due_state": state,
        "days_left": days_left,
        "status": item.status,
        "prefill": item.prefill,
        "submitted_by": _who(item.submitted_by),
        "submitted_at": item.submitted_at,
        "submitted_how": item.submitted_how,
        "reference": item.reference,
    }
