"""Rows (from charting/selectors/ and the services) to Out-schema dicts: explicit fields,
never __all__. No queries of their own beyond the rows' related objects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User

from charting import scoring
from charting.discharge import discharge_earliest
from charting.early_review import NEXT_STEP
from charting.models import (
    Alert,
    DailyCheckIn,
    EarlyReview,
    FormTemplate,
    MonitoringFormItem,
    RunSheet,
    ScaleAdministration,
    ScreeningResponse,
    SelfReport,
    TreatmentParameters,
)
from charting.recording import checkpoint_minutes_off
from charting.rems_due import form_due_state, site_today
from charting.selectors.chart import Gate, ObservationDetail, SessionChart
from charting.self_report_schedule import PointStatus
from charting.trajectory import MoodPoint, Series
from clinic import clock


def who(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def screening_out(s: ScreeningResponse) -> dict[str, Any]:
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
        "completed_by": who(s.completed_by),
        "completed_at": s.completed_at,
        "reviewed_by": who(s.reviewed_by),
        "reviewed_at": s.reviewed_at,
        "review_note": s.review_note,
        "override_by": who(s.override_by),
        "override_at": s.override_at,
        "override_reason": s.override_reason,
    }


def alert_out(a: Alert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "severity": a.severity,
        "message": a.message,
        "course_id": a.course_id,
        "session_id": a.session_id,
        "record_id": a.record_id,
        "scale_id": a.scale_id,
        "raised_at": a.raised_at,
        "acknowledged_by": who(a.acknowledged_by),
        "acknowledged_at": a.acknowledged_at,
        "note": a.note,
    }


def observation_out(detail: ObservationDetail) -> dict[str, Any]:
    record = detail.record
    spec = record.template.parsed
    missing = detail.missing
    by_entry = {e.pk: e for e in detail.entries}
    now = clock.now()
    checkpoints = []
    for cp in detail.checkpoints:
        mine = [e for e in detail.entries if e.checkpoint_id == cp.pk]
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
                        "recorded_by": who(e.recorded_by),
                        "recorded_at": e.recorded_at,
                        "alert": e.alert_message,
                        "off_window_minutes": checkpoint_minutes_off(record, cp, e.taken_at),
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
            "amended_by": who(a.amended_by),
            "amended_at": a.amended_at,
        }
        for a in detail.amendments
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
        "earliest_discharge": discharge_earliest(record),
        "status": record.status,
        "signed_by": who(record.signed_by),
        "signed_at": record.signed_at,
        "cosigned_by": who(record.cosigned_by),
        "cosign_reason": record.cosign_reason,
        "checkpoints": checkpoints,
        "alerts": [alert_out(a) for a in detail.alerts],
        "amendments": amendments,
    }


def parameters_out(p: TreatmentParameters) -> dict[str, Any]:
    return {
        "session_id": p.session_id,
        "modality": p.modality,
        "values": p.values,
        "flags": p.flags,
        "recorded_by": who(p.recorded_by),
        "recorded_at": p.recorded_at,
    }


def scale_out(s: ScaleAdministration) -> dict[str, Any]:
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
        "source": s.source,
        "recorded_by": who(s.recorded_by),
        "baseline_reason": s.baseline_reason,
        "baseline_marked_by": who(s.baseline_marked_by),
        "baseline_marked_at": s.baseline_marked_at,
    }


def gate_out(gate: Gate) -> dict[str, Any]:
    return {"allowed": gate.allowed, "code": gate.code, "message": gate.message}


def monitoring_out(item: MonitoringFormItem, now: dt.datetime, soon_days: int) -> dict[str, Any]:
    today = site_today(now, item.site.zone)
    state = form_due_state(
        due_date=item.due_date,
        today=today,
        submitted=item.status == MonitoringFormItem.Status.SUBMITTED,
        soon_days=soon_days,
    )
    return {
        "id": item.pk,
        "session_id": item.session_id,
        "course_id": item.course_id,
        "patient_id": item.patient_id,
        "patient_name": item.patient.full_name,
        "session_date": item.session.start.astimezone(item.site.zone).date(),
        "due_date": item.due_date,
        "due_state": state,
        "days_left": (item.due_date - today).days,
        "status": item.status,
        "prefill": item.prefill,
        "submitted_by": who(item.submitted_by),
        "submitted_at": item.submitted_at,
        "submitted_how": item.submitted_how,
        "reference": item.reference,
    }


def template_summary_out(t: FormTemplate) -> dict[str, Any]:
    return {
        "slug": t.slug,
        "version": t.version,
        "name": t.name,
        "kind": t.kind,
        "modality": t.modality,
        "builtin": t.builtin,
    }


def template_out(t: FormTemplate) -> dict[str, Any]:
    return {**template_summary_out(t), "spec": t.spec}


def scale_def_out(s: scoring.ScaleDef) -> dict[str, Any]:
    return {
        "name": s.name,
        "title": s.title,
        "rater": s.rater,
        "instructions": s.instructions,
        "answer_labels": list(s.answer_labels),
        "items": [{"key": i.key, "text": i.text, "max": i.max} for i in s.items],
        "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in s.bands],
        "remission_max": s.remission_max,
    }


def outcome_out(o: scoring.Outcome, rows: list[ScaleAdministration]) -> dict[str, Any]:
    return {
        "scale": o.scale,
        "baseline": o.baseline,
        "baseline_id": rows[o.baseline_at].pk if o.baseline_at is not None else None,
        "latest": o.latest,
        "latest_band": o.latest_band,
        "trajectory": list(o.trajectory),
        "change_pct": o.change_pct,
        "response": o.response,
        "remission": o.remission,
        "administrations": [scale_out(r) for r in rows],
    }


def session_chart_out(chart: SessionChart) -> dict[str, Any]:
    session = chart.session
    forms = session.course.protocol.parsed.forms
    return {
        "session_id": session.pk,
        "status": session.status,
        "modality": session.course.modality,
        "course_screening_form": forms.course_screening,
        "session_screening_form": forms.session_screening,
        "observation_form": forms.observation,
        "course_screening": screening_out(chart.course_screening)
        if chart.course_screening
        else None,
        "session_screening": screening_out(chart.session_screening)
        if chart.session_screening
        else None,
        "observation_id": chart.record.pk if chart.record else None,
        "observation_status": chart.record.status if chart.record else None,
        "parameters": parameters_out(chart.parameters) if chart.parameters else None,
        "open_alerts": [alert_out(a) for a in chart.open_alerts],
        "check_in": gate_out(chart.check_in),
        "start": gate_out(chart.start),
        "complete": gate_out(chart.complete),
    }


def run_sheet_out(sheet: RunSheet, size_bytes: int) -> dict[str, Any]:
    return {
        "id": sheet.pk,
        "site_id": sheet.site_id,
        "day": sheet.day,
        "session_count": sheet.session_count,
        "generated_at": sheet.generated_at,
        "size_bytes": size_bytes,
        "download": (
            f"/api/v1/charting/sites/{sheet.site_id}/stored-run-sheet.pdf?date={sheet.day}"
        ),
    }


# --- measurement-based care between sessions ----------------------------------------------------


def due_point_out(status: PointStatus) -> dict[str, Any]:
    p = status.point
    return {
        "scale": p.scale,
        "session_number": p.session_number,
        "opens_on": p.opens_on,
        "closes_on": p.closes_on,
        "baseline": p.baseline,
        "state": status.state.value,
    }


def self_report_out(r: SelfReport) -> dict[str, Any]:
    a = r.administration
    return {
        "id": r.pk,
        "course_id": r.course_id,
        "scale": r.scale,
        "session_number": r.session_number,
        "status": r.status,
        "answers": dict(r.answers),
        "total": a.total if a is not None else None,
        "band": a.band if a is not None else None,
        "safety_positive": r.safety_positive,
        "started_at": r.started_at,
        "submitted_at": r.submitted_at,
        "source": "patient",
    }


def checkin_out(c: DailyCheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "course_id": c.course_id,
        "day": c.day,
        "mood": c.mood,
        "sleep_hours": float(c.sleep_hours),
        "side_effects": dict(c.side_effects),
        "note": c.note,
        "submitted_at": c.submitted_at,
        "updated_at": c.updated_at,
    }


def early_review_out(r: EarlyReview) -> dict[str, Any]:
    return {
        "id": r.pk,
        "course_id": r.course_id,
        "patient_id": r.patient_id,
        "scale": r.scale,
        "at_session": r.at_session,
        "baseline_total": r.baseline_total,
        "measured_total": r.measured_total,
        "improvement_percent": (
            None if r.improvement_percent is None else float(r.improvement_percent)
        ),
        "threshold_percent": r.threshold_percent,
        "evidence": r.evidence,
        "citation": r.citation,
        "url": r.url,
        "status": r.status,
        "raised_at": r.raised_at,
        "decision": r.decision,
        "note": r.note,
        "decided_by": who(r.decided_by) if r.decided_by_id else None,
        "decided_at": r.decided_at,
        "next_step": NEXT_STEP.get(EarlyReview.Decision(r.decision), "") if r.decision else "",
    }


def series_out(s: Series) -> dict[str, Any]:
    return {
        "scale": s.scale,
        "title": s.title,
        "rater": s.rater,
        "max_total": s.max_total,
        "baseline": s.baseline,
        "response_line": s.response_line,
        "remission_max": s.remission_max,
        "points": [
            {
                "date": p.day,
                "total": p.total,
                "source": p.source,
                "session_number": p.session_number,
            }
            for p in s.points
        ],
    }


def mood_out(points: list[MoodPoint]) -> list[dict[str, Any]]:
    return [{"date": p.day, "mood": p.mood} for p in points]
