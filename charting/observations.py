"""Observation records: open a session's record and its checkpoints, set the
dose/procedure anchor, record values (raising out-of-range alerts and late-checkpoint review
alerts), sign the discharge (when it may be signed: charting/discharge.py), and amend a signed
record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from charting.answers import AnswersInvalid, Flag, clean_answers, flags_for
from charting.discharge import discharge_earliest, observation_sign_problem
from charting.error_codes import (
    ERR_NOTHING_TO_AMEND,
    ERR_RECORD_NOT_SIGNED,
    ERR_RECORD_SIGNED,
    ERR_TIME_BEFORE_CHECK_IN,
    ERR_TIME_IN_FUTURE,
    ERR_TIME_OUT_OF_SESSION,
    ERR_UNKNOWN_CHECKPOINT,
    ERR_WRONG_TEMPLATE_KIND,
)
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
    checkpoint_minutes_off,
    current_entries,
    invalid_answers,
    local_text,
)
from charting.spec import off_window_text
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role
from scheduling.error_codes import ERR_REASON_REQUIRED
from scheduling.models import Session
from scheduling.observation_holds import observation_hold_follow


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
            raise Conflict(f"{slug} is not an observation form.", code=ERR_WRONG_TEMPLATE_KIND)
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
            code=ERR_RECORD_SIGNED,
        )
    return record


def set_anchor(
    record: ObservationRecord, at: dt.datetime, by: User, *, now: dt.datetime | None = None
) -> None:
    record.anchor_at = at
    record.anchor_recorded = True
    save_with_history(record, by)
    for cp in record.checkpoints.all():
        cp.due_at = at + dt.timedelta(minutes=cp.offset_minutes)
        save_with_history(cp, by)
    # Readings taken before the dose time was known are judged against it now.
    _timing_alerts(record, resolve_now(now), by)
    # The observation chair stays held until the patient may leave (same transaction).
    observation_hold_follow(
        session_id=record.session_id, discharge_at=discharge_earliest(record), by=by
    )


def check_anchor_time(at: dt.datetime, session: Session, now: dt.datetime, name: str) -> None:
    # The anchor decides when discharge may be signed: a dose time far in the past would let
    # the minimum observation time be skipped, one in the future would block sign-out.
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"{name}: the dose/procedure time cannot be in the future.", code=ERR_TIME_IN_FUTURE
        )
    checked_in = session.checked_in_at
    if checked_in is not None and at < checked_in - CLOCK_SKEW:
        # No dose or procedure happens before the patient has arrived; an earlier time would
        # shorten the observation window on paper only.
        site = session.site
        raise InvalidInput(
            f"{name}: the dose/procedure time {local_text(at, site)} is before the patient was "
            f"checked in at {local_text(checked_in, site)}.",
            code=ERR_TIME_BEFORE_CHECK_IN,
        )
    if at < session.start - dt.timedelta(hours=12):
        raise InvalidInput(
            f"{name}: the dose/procedure time is long before the session's booked start.",
            code=ERR_TIME_OUT_OF_SESSION,
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
        set_anchor(record, at, by, now=now)
        return record


def _raise_alerts(
    record: ObservationRecord,
    entry: ObservationEntry,
    flags: list[Flag],
    now: dt.datetime,
    by: User,
) -> None:
    # One reading, one alert: a blood pressure's two parts are one flag already; anything
    # else a value raises joins the same alert, severe when any part is.
    if not flags:
        return
    session = record.session
    message = "; ".join(f.message for f in flags)
    save_with_history(
        Alert(
            kind=Alert.Kind.OUT_OF_RANGE,
            severity=Alert.Severity.SEVERE
            if any(f.severe for f in flags)
            else Alert.Severity.ALERT,
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


def _timing_alert(
    record: ObservationRecord,
    checkpoint: ObservationCheckpoint,
    taken_at: dt.datetime,
    now: dt.datetime,
    by: User,
) -> None:
    off = checkpoint_minutes_off(record, checkpoint, taken_at)
    if off == 0:
        return
    raised = Alert.objects.filter(
        record=record, kind=Alert.Kind.TIMING, detail_key=checkpoint.key
    ).exists()
    if raised:
        return  # one review alert per checkpoint, however often it is re-taken
    site = record.site
    session = record.session
    save_with_history(
        Alert(
            kind=Alert.Kind.TIMING,
            severity=Alert.Severity.REVIEW,
            site_id=record.site_id,
            patient_id=record.patient_id,
            course_id=session.course_id,
            session=session,
            record=record,
            detail_key=checkpoint.key,
            message=(
                f"{checkpoint.label}: taken {local_text(taken_at, site)}, "
                f"{off_window_text(off)} (due {local_text(checkpoint.due_at, site)})"
            )[:500],
            raised_at=now,
        ),
        by,
    )


def _timing_alerts(record: ObservationRecord, now: dt.datetime, by: User) -> None:
    latest: dict[int, ObservationEntry] = {}
    for entry in current_entries(record).values():
        known = latest.get(entry.checkpoint_id)
        if known is None or entry.taken_at > known.taken_at:
            latest[entry.checkpoint_id] = entry
    for cp in record.checkpoints.all():
        if cp.pk in latest:
            _timing_alert(record, cp, latest[cp.pk].taken_at, now, by)


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
        raise InvalidInput("taken_at: cannot be in the future.", code=ERR_TIME_IN_FUTURE)
    with transaction.atomic():
        record = _locked_open_record(record)
        spec = record.template.parsed
        cp_spec = spec.checkpoint(checkpoint)
        if cp_spec is None:
            known = ", ".join(c.key for c in spec.checkpoints)
            raise InvalidInput(
                f"checkpoint: {checkpoint!r} is not a checkpoint of this form ({known}).",
                code=ERR_UNKNOWN_CHECKPOINT,
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
            flags = flags_for(field, clean[field.key])
            entry = save_with_history(
                ObservationEntry(
                    record=record,
                    checkpoint=cp_row,
                    field_key=field.key,
                    value=clean[field.key],
                    taken_at=taken_at,
                    recorded_by=by,
                    recorded_at=now,
                    alert_message="; ".join(f.message for f in flags)[:300],
                ),
                by,
            )
            _raise_alerts(record, entry, flags, now, by)
            entries.append(entry)
        _timing_alert(record, cp_row, taken_at, now, by)
        return entries


def observation_sign(
    *,
    record: ObservationRecord,
    by: User,
    cosign_reason: str = "",
    now: dt.datetime | None = None,
) -> ObservationRecord:
    """Sign the patient out. Refused whenever observation_sign_problem gives a reason: before
    the minimum observation time (counted from the recorded dose/procedure time), while a
    required checkpoint value is missing, when the discharge values predate the minimum or the
    last required checkpoint, and while a severe alert of the session is unacknowledged.

    `cosign_reason`: a clinician signs over an unacknowledged severe alert, saying why (stored
    on the record with their name; the alert itself stays open until acknowledged)."""
    require_role(by, *CHARTING_ROLES, action="sign observation records")
    reason = (cosign_reason or "").strip()
    if reason:
        require_role(by, ROLE_CLINICIAN, action="co-sign a discharge over a severe alert")
        if len(reason) < 3:
            raise InvalidInput(
                "cosign_reason: say why the patient may leave.", code=ERR_REASON_REQUIRED
            )
    now = resolve_now(now)
    with transaction.atomic():
        record = _locked_open_record(record)
        problem = observation_sign_problem(record, now=now, cosigned=bool(reason))
        if problem is not None:
            raise problem
        record.status = ObservationRecord.Status.SIGNED
        record.signed_by = by
        record.signed_at = now
        if reason:
            record.cosigned_by = by
            record.cosign_reason = reason[:1000]
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
        raise InvalidInput("reason: say why the value is corrected.", code=ERR_REASON_REQUIRED)
    now = resolve_now(now)
    with transaction.atomic():
        record = ObservationRecord.objects.select_for_update().get(pk=record.pk)
        if record.status != ObservationRecord.Status.SIGNED:
            raise Conflict(
                "The record is not signed yet: record the right value as a new reading.",
                code=ERR_RECORD_NOT_SIGNED,
            )
        spec = record.template.parsed
        cp_spec = spec.checkpoint(checkpoint)
        if cp_spec is None:
            raise InvalidInput(
                f"checkpoint: {checkpoint!r} is not a checkpoint of this form.",
                code=ERR_UNKNOWN_CHECKPOINT,
            )
        try:
            clean = clean_answers(cp_spec.fields, {field: value}, require_all=False)
        except AnswersInvalid as exc:
            raise invalid_answers(exc) from None
        original = current_entries(record).get((checkpoint, field))
        if original is None:
            raise Conflict(
                f"{checkpoint}.{field} has no recorded value to amend.", code=ERR_NOTHING_TO_AMEND
            )
        field_spec = next(f for f in cp_spec.fields if f.key == field)
        flags = flags_for(field_spec, clean[field])
        replacement = save_with_history(
            ObservationEntry(
                record=record,
                checkpoint=original.checkpoint,
                field_key=field,
                value=clean[field],
                taken_at=original.taken_at,
                recorded_by=by,
                recorded_at=now,
                alert_message="; ".join(f.message for f in flags)[:300],
                is_amendment=True,
            ),
            by,
        )
        original.superseded_by = replacement
        save_with_history(original, by)
        _raise_alerts(record, replacement, flags, now, by)
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
