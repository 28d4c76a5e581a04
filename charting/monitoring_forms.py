"""The esketamine REMS monitoring form queue: queue a completed outpatient session's form
with prefilled values, refresh it after an amendment, and mark it submitted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from charting.error_codes import ERR_ALREADY_SUBMITTED, ERR_INVALID_VALUE, ERR_TIME_IN_FUTURE
from charting.models import MonitoringFormItem, ObservationRecord, ScreeningResponse
from charting.recording import (
    CHARTING_ROLES,
    CLOCK_SKEW,
    checkpoint_minutes_off,
    current_entries,
)
from charting.rems_due import form_due_date
from charting.spec import TemplateSpec, off_window_text
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.permissions import require_role
from scheduling.models import Session


def _person(user: User | None) -> dict[str, str]:
    if user is None:
        return {"name": "", "email": "", "phone": ""}
    return {
        "name": user.get_full_name() or user.get_username(),
        "email": user.email or "",
        "phone": "",
    }


def _report_prefill(spec: TemplateSpec, record: ObservationRecord) -> list[dict[str, Any]]:
    session = record.session
    patient = session.patient
    site = session.site
    params = getattr(session, "parameters", None)
    param_values = params.values if params is not None else {}
    screening = ScreeningResponse.objects.filter(session=session, level="session").first()
    answers = screening.answers if screening else {}
    current = current_entries(record)
    end = record.signed_at
    computed = {
        "minutes_first_device_to_end": (
            int((end - record.anchor_at).total_seconds() // 60)
            if end is not None and record.anchor_recorded
            else None
        )
    }
    monitor = _person(record.signed_by)
    sources: dict[str, Any] = {
        "patient": {
            "full_name": patient.full_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex": patient.sex,
            "rems_enrolled": patient.rems_enrolled,
            "mrn": patient.mrn,
        },
        "site": {"name": site.name, "address": site.address},
        "session": {
            "date": session.start.astimezone(site.zone).date().isoformat(),
            "number": session.number,
        },
        "course": {"id": session.course_id},
        "parameters": param_values,
        "screening": answers,
        "computed": computed,
        "monitor": monitor,
    }
    checkpoints = {cp.key: cp for cp in record.checkpoints.all()}
    out = []
    for item in spec.report:
        parts = item.source.split(".")
        note = ""
        if parts[0] == "checkpoint":
            entry = current.get((parts[1], parts[2]))
            value = entry.value if entry is not None else None
            if value is not None and len(parts) == 4:
                value = value.get(parts[3])
            if entry is not None and parts[1] in checkpoints:
                # A reading outside its checkpoint's window says so on the form draft.
                note = off_window_text(
                    checkpoint_minutes_off(record, checkpoints[parts[1]], entry.taken_at)
                )
        else:
            value = sources.get(parts[0], {}).get(parts[1])
        row = {"key": item.key, "label": item.label, "value": value}
        if note:
            row["note"] = note
        out.append(row)
    return out


def monitoring_form_prefill(record: ObservationRecord) -> list[dict[str, Any]]:
    """The report fields of a record's template, prefilled from the chart as it is now."""
    return _report_prefill(record.template.parsed, record)


def monitoring_form_queue(
    *, session: Session, by: User | None = None, now: dt.datetime | None = None
) -> MonitoringFormItem | None:
    """Queue the REMS monitoring form of a completed outpatient esketamine session, due
    `report_due_days` (7, charting/rems_due.py `FORM_DUE_DAYS`) calendar days after the
    session's local date (docs/clinical.md §3)."""
    now = resolve_now(now)
    record = ObservationRecord.objects.filter(session=session).select_related("template").first()
    if record is None or not record.template.parsed.report:
        return None
    spec = record.template.parsed
    screening = ScreeningResponse.objects.filter(session=session, level="session").first()
    if screening is not None and screening.answers.get("inpatient") is True:
        return None  # the form is not required for inpatient settings [REMS inpatient page]
    with transaction.atomic():
        existing = MonitoringFormItem.objects.filter(session=session).first()
        if existing is not None:
            return existing
        local_day = session.start.astimezone(session.site.zone).date()
        return save_with_history(
            MonitoringFormItem(
                session=session,
                course_id=session.course_id,
                site_id=session.site_id,
                patient_id=session.patient_id,
                template=record.template,
                due_date=form_due_date(local_day, spec.report_due_days),
                prefill=_report_prefill(spec, record),
                created_at=now,
            ),
            by,
        )


def monitoring_form_refresh(record: ObservationRecord, by: User) -> None:
    # An amendment after completion must reach a form that has not been submitted yet.
    item = MonitoringFormItem.objects.filter(session=record.session, status="open").first()
    if item is not None:
        item.prefill = _report_prefill(record.template.parsed, record)
        save_with_history(item, by)


def monitoring_form_submit(
    *,
    item: MonitoringFormItem,
    how: str,
    reference: str = "",
    submitted_at: dt.datetime | None = None,
    by: User,
    now: dt.datetime | None = None,
) -> MonitoringFormItem:
    """Mark a monitoring form submitted to the REMS (who, when, how)."""
    require_role(by, *CHARTING_ROLES, action="submit monitoring forms")
    now = resolve_now(now)
    if how not in MonitoringFormItem.Method.values:
        raise InvalidInput(
            f"how: must be one of {', '.join(MonitoringFormItem.Method.values)}.",
            code=ERR_INVALID_VALUE,
        )
    when = submitted_at or now
    if when > now + CLOCK_SKEW:
        raise InvalidInput("submitted_at: cannot be in the future.", code=ERR_TIME_IN_FUTURE)
    with transaction.atomic():
        item = MonitoringFormItem.objects.select_for_update().get(pk=item.pk)
        if item.status == MonitoringFormItem.Status.SUBMITTED:
            raise Conflict("This monitoring form is already submitted.", code=ERR_ALREADY_SUBMITTED)
        item.status = MonitoringFormItem.Status.SUBMITTED
        item.submitted_by = by
        item.submitted_at = when
        item.submitted_how = how
        item.reference = reference.strip()[:100]
        return save_with_history(item, by)
