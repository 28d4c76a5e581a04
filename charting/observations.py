"""Observation records: open a session's record and its checkpoints, set the
dose/procedure anchor, record values (raising out-of-range alerts), sign the discharge, and
amend a signed record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from charting.form_templates import template_current
from charting.models import (
    Alert,
    Amendment,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
)
from charting.monitoring_forms import monitoring_form_refresh
from charting.recording import (
    CHARTING_ROLES,
    CLOCK_SKEW,
    current_entries,
    invalid_answers,
    local_deadline_text,
    local_text,
    save_with_history,
)
from charting.spec import AnswersInvalid, clean_answers, flags_for
from clinic.clock import resolve_now, utc_iso
from clinic.errors import Conflict, InvalidInput
from clinic.permissions import require_role
from scheduling.models import Session


def observation_open(
    *, session: Session, by: User | None = None, now: dt.datetime | None = None
) -> ObservationRecord | None:
    """Open the session's observation record (idempotent); None when the protocol has none.

    Checkpoints are due from the session's start until the dose/procedure time is recorded.
    """
    now = resolve_now(now)
    slug = session.course.protocol.parsed.forms.observation
    if slug is None:
        return None
    with transaction.atomic():
        existing = ObservationRecord.objects.filter(session=session).first()
        if existing is not None:
            return existing
        template = template_current(slug)
        spec = template.parsed
        if spec.kind != "observation":
            raise Conflict(f"{slug} is not an observation form.", code="wrong_template_kind")
        anchor = session.started_at or now
        record = save_with_history(
            ObservationRecord(
                session=session,
                template=template,
                site_id=session.site_id,
                patient_id=session.patient_id,
                anchor_at=anchor,
                opened_at=now,
                opened_by=by,
            ),
            by,
        )
        for position, cp in enumerate(spec.checkpoints):
            save_with_history(
                ObservationCheckpoint(
                    record=record,
                    key=cp.key,
                    label=cp.label,
                    position=position,
                    offset_minutes=cp.offset_minutes,
                    before_anchor=cp.before_anchor,
                    required=cp.required,
                    discharge=cp.discharge,
                    due_at=anchor + dt.timedelta(minutes=cp.offset_minutes),
                ),
                by,
            )
        return record


def _locked_open_record(record: ObservationRecord) -> ObservationRecord:
    # Lock the record so a value cannot slip in while another nurse signs it.
    record = ObservationRecord.objects.select_for_update().get(pk=record.pk)
    if record.status == ObservationRecord.Status.SIGNED:
        assert record.signed_at is not None  # the observation_signed_has_time constraint
        raise Conflict(
            f"The record was signed at {local_text(record.signed_at, record.site)}; corrections "
            "are amendments with a reason.",
            code="record_signed",
        )
    return record


def set_anchor(record: ObservationRecord, at: dt.datetime, by: User) -> None:
    record.anchor_at = at
    record.anchor_recorded = True
    save_with_history(record, by)
    for cp in record.checkpoints.all():
        cp.due_at = at + dt.timedelta(minutes=cp.offset_minutes)
        save_with_history(cp, by)


def check_anchor_time(at: dt.datetime, session: Session, now: dt.datetime, name: str) -> None:
    # The anchor decides when discharge may be signed: a dose time far in the past would let
    # the minimum observation time be skipped, one in the future would block sign-out.
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"{name}: the dose/procedure time cannot be in the future.", code="time_in_future"
        )
    checked_in = session.checked_in_at
    if checked_in is not None and at < checked_in - CLOCK_SKEW:
        # No dose or procedure happens before the patient has arrived; an earlier time would
        # shorten the observation window on paper only.
        site = session.site
        raise InvalidInput(
            f"{name}: the dose/procedure time {local_text(at, site)} is before the patient was "
            f"checked in at {local_text(checked_in, site)}.",
            code="time_before_check_in",
        )
    if at < session.start - dt.timedelta(hours=12):
        raise InvalidInput(
            f"{name}: the dose/procedure time is long before the session's booked start.",
            code="time_out_of_session",
        )


def observation_set_anchor(
    *, record: ObservationRecord, at: dt.datetime, by: User, now: dt.datetime | None = None
) -> ObservationRecord:
    """Record the actual dose/procedure time; checkpoint due times follow it."""
    require_role(by, *CHARTING_ROLES, action="record observations")
    now = resolve_now(now)
    with transaction.atomic():
        record = _locked_open_record(record)
        check_anchor_time(at, record.session, now, "at")
        set_anchor(record, at, by)
        return record


def _raise_alerts(
    record: ObservationRecord,
    entry: ObservationEntry,
    messages: list[str],
    now: dt.datetime,
    by: User,
) -> None:
    session = record.session
    for message in messages:
        save_with_history(
            Alert(
                kind=Alert.Kind.OUT_OF_RANGE,
                site_id=record.site_id,
                patient_id=record.patient_id,
                course_id=session.course_id,
                session=session,
                record=record,
                entry=entry,
                message=f"{entry.checkpoint.label}: {message}"[:500],
                raised_at=now,
            ),
            by,
        )


def observation_record_values(
    *,
    record: ObservationRecord,
    checkpoint: str,
    values: Any,
    taken_at: dt.datetime,
    by: User,
    now: dt.datetime | None = None,
) -> list[ObservationEntry]:
    """Record values taken at a checkpoint (all or some of its fields). Out-of-range values are
    accepted and raise alerts on the record and the session; impossible values are refused and
    nothing is saved."""
    require_role(by, *CHARTING_ROLES, action="record observations")
    now = resolve_now(now)
    if taken_at > now + CLOCK_SKEW:
        raise InvalidInput("taken_at: cannot be in the future.", code="time_in_future")
    with transaction.atomic():
        record = _locked_open_record(record)
        spec = record.template.parsed
        cp_spec = spec.checkpoint(checkpoint)
        if cp_spec is None:
            known = ", ".join(c.key for c in spec.checkpoints)
            raise InvalidInput(
                f"checkpoint: {checkpoint!r} is not a checkpoint of this form ({known}).",
                code="unknown_checkpoint",
            )
        try:
            clean = clean_answers(cp_spec.fields, values, require_all=False)
        except AnswersInvalid as exc:
            raise invalid_answers(exc) from None
        cp_row = record.checkpoints.get(key=checkpoint)
        entries = []
        for field in cp_spec.fields:
            if field.key not in clean:
                continue
            messages = [f.message for f in flags_for(field, clean[field.key])]
            entry = save_with_history(
                ObservationEntry(
                    record=record,
                    checkpoint=cp_row,
                    field_key=field.key,
                    value=clean[field.key],
                    taken_at=taken_at,
                    recorded_by=by,
                    recorded_at=now,
                    alert_message="; ".join(messages)[:300],
                ),
                by,
            )
            _raise_alerts(record, entry, messages, now, by)
            entries.append(entry)
        return entries


def observation_missing(record: ObservationRecord) -> dict[str, list[str]]:
    """Required fields with no value, per required checkpoint key (in form order)."""
    spec = record.template.parsed
    current = current_entries(record)
    missing: dict[str, list[str]] = {}
    for cp in spec.checkpoints:
        if not cp.required:
            continue
        absent = [f.key for f in cp.fields if f.required and (cp.key, f.key) not in current]
        if absent:
            missing[cp.key] = absent
    return missing


def discharge_earliest(record: ObservationRecord) -> dt.datetime:
    """The end of the minimum observation time: the anchor plus the form's minimum minutes."""
    minutes = record.template.parsed.minimum_observation_minutes
    return record.anchor_at + dt.timedelta(minutes=minutes)


def observation_sign_problem(record: ObservationRecord, *, now: dt.datetime) -> Conflict | None:
    """Why the discharge cannot be signed at `now` (the Conflict observation_sign raises), or
    None when it can. Reads only: the nurse's page enables the sign-off button with it and
    shows the reason while it is refused."""
    spec = record.template.parsed
    site = record.site
    if record.status == ObservationRecord.Status.SIGNED and record.signed_at is not None:
        return Conflict(
            f"The record was signed at {local_text(record.signed_at, site)}; corrections are "
            "amendments with a reason.",
            code="record_signed",
        )
    if spec.anchor == "dose" and not record.anchor_recorded:
        return Conflict(
            "Record the dose time (first device) before signing the discharge.",
            code="anchor_not_recorded",
        )
    earliest = discharge_earliest(record)
    if now < earliest:
        return Conflict(
            f"Discharge cannot be signed before {local_deadline_text(earliest, site)}: "
            f"{spec.minimum_observation_minutes} minutes after the {spec.anchor} at "
            f"{local_text(record.anchor_at, site)} (now {local_text(now, site)}).",
            code="too_early_to_sign",
            earliest=utc_iso(earliest),
        )
    missing = observation_missing(record)
    if missing:
        lines = [
            f"{key} ({spec.checkpoint(key).label}): {', '.join(fields)}"  # type: ignore[union-attr]
            for key, fields in missing.items()
        ]
        return Conflict(
            "Required checkpoint values are missing: " + "; ".join(lines) + ".",
            code="checkpoints_missing",
            missing=missing,
        )
    # The discharge assessment must describe the patient at discharge: vitals taken before
    # the minimum observation time (e.g. 30 minutes into a 2-hour esketamine window) would
    # let the sign-out rest on values from while the patient was still being monitored.
    early: dict[str, list[str]] = {}
    for (cp_key, field_key), entry in current_entries(record).items():
        cp = spec.checkpoint(cp_key)
        if cp is not None and cp.discharge and entry.taken_at < earliest:
            early.setdefault(cp_key, []).append(field_key)
    if early:
        listed = "; ".join(f"{key}: {', '.join(fields)}" for key, fields in early.items())
        return Conflict(
            "Discharge values must be taken at or after "
            f"{local_text(earliest, site)}, the end of the minimum observation time; "
            f"record them again ({listed}).",
            code="discharge_values_too_early",
            early=early,
        )
    return None


def observation_sign(
    *, record: ObservationRecord, by: User, now: dt.datetime | None = None
) -> ObservationRecord:
    """Sign the patient out. Refused before the minimum observation time (counted from the
    recorded dose/procedure time) and while a required checkpoint value is missing (see
    observation_sign_problem)."""
    require_role(by, *CHARTING_ROLES, action="sign observation records")
    now = resolve_now(now)
    with transaction.atomic():
        record = _locked_open_record(record)
        problem = observation_sign_problem(record, now=now)
        if problem is not None:
            raise problem
        record.status = ObservationRecord.Status.SIGNED
        record.signed_by = by
        record.signed_at = now
        return save_with_history(record, by)


def observation_amend(
    *,
    record: ObservationRecord,
    checkpoint: str,
    field: str,
    value: Any,
    reason: str,
    by: User,
    now: dt.datetime | None = None,
) -> Amendment:
    """Correct a value on a signed record: a new entry replaces the old one, which is kept and
    marked superseded; the amendment records who, when and why."""
    require_role(by, *CHARTING_ROLES, action="amend observation records")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise InvalidInput("reason: say why the value is corrected.", code="reason_required")
    now = resolve_now(now)
    with transaction.atomic():
        record = ObservationRecord.objects.select_for_update().get(pk=record.pk)
        if record.status != ObservationRecord.Status.SIGNED:
            raise Conflict(
                "The record is not signed yet: record the right value as a new reading.",
                code="record_not_signed",
            )
        spec = record.template.parsed
        cp_spec = spec.checkpoint(checkpoint)
        if cp_spec is None:
            raise InvalidInput(
                f"checkpoint: {checkpoint!r} is not a checkpoint of this form.",
                code="unknown_checkpoint",
            )
        try:
            clean = clean_answers(cp_spec.fields, {field: value}, require_all=False)
        except AnswersInvalid as exc:
            raise invalid_answers(exc) from None
        original = current_entries(record).get((checkpoint, field))
        if original is None:
            raise Conflict(
                f"{checkpoint}.{field} has no recorded value to amend.", code="nothing_to_amend"
            )
        field_spec = next(f for f in cp_spec.fields if f.key == field)
        messages = [f.message for f in flags_for(field_spec, clean[field])]
        replacement = save_with_history(
            ObservationEntry(
                record=record,
                checkpoint=original.checkpoint,
                field_key=field,
                value=clean[field],
                taken_at=original.taken_at,
                recorded_by=by,
                recorded_at=now,
                alert_message="; ".join(messages)[:300],
                is_amendment=True,
            ),
            by,
        )
        original.superseded_by = replacement
        save_with_history(original, by)
        _raise_alerts(record, replacement, messages, now, by)
        amendment = save_with_history(
            Amendment(
                record=record,
                original=original,
                replacement=replacement,
                reason=reason,
                amended_by=by,
                amended_at=now,
            ),
            by,
        )
        monitoring_form_refresh(record, by)
        return amendment
