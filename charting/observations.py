"""Observation records: open a session's record and its checkpoints, set the
dose/procedure anchor, record values (raising out-of-range alerts and late-checkpoint review
alerts), sign the discharge (observation_sign_problem: the one predicate the service, the form
and the nurse's day list ask), and amend a signed record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch

from charting.alerts import alert_is_severe
from charting.error_codes import (
    ERR_ANCHOR_NOT_RECORDED,
    ERR_CHECKPOINTS_MISSING,
    ERR_DISCHARGE_BEFORE_CHECKPOINT,
    ERR_DISCHARGE_VALUES_TOO_EARLY,
    ERR_NOTHING_TO_AMEND,
    ERR_RECORD_NOT_SIGNED,
    ERR_RECORD_SIGNED,
    ERR_SEVERE_ALERT_OPEN,
    ERR_TIME_BEFORE_CHECK_IN,
    ERR_TIME_IN_FUTURE,
    ERR_TIME_OUT_OF_SESSION,
    ERR_TOO_EARLY_TO_SIGN,
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
    local_deadline_text,
    local_text,
)
from charting.spec import AnswersInvalid, Flag, clean_answers, flags_for, off_window_text
from clinic.clock import resolve_now, utc_iso
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


def observation_missing(
    record: ObservationRecord,
    *,
    current: dict[tuple[str, str], ObservationEntry] | None = None,
) -> dict[str, list[str]]:
    """Required fields with no value, per required checkpoint key (in form order)."""
    spec = record.template.parsed
    if current is None:
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


def observation_sign_inputs() -> list[str | Prefetch[Any]]:
    """What observation_sign_problem reads beyond the record's template, site and session
    (select_related those), to prefetch for many records at once."""
    return [
        "checkpoints",
        Prefetch("entries", queryset=ObservationEntry.objects.filter(superseded_by__isnull=True)),
        Prefetch("session__alerts", queryset=Alert.objects.filter(acknowledged_at__isnull=True)),
    ]


def observation_sign_problem(
    record: ObservationRecord, *, now: dt.datetime, cosigned: bool = False
) -> Conflict | None:
    """Why the discharge cannot be signed at `now` (the Conflict observation_sign raises), or
    None when it can. Reads only, and only what `observation_sign_inputs` prefetches: the
    nurse's form enables the sign-off button with it and shows the reason while it is
    refused, and /nurse/ says "Discharge can be signed" only when it returns None.

    In order: signed already; the dose time not recorded; before the minimum observation
    time; required values missing; discharge values taken before the minimum; discharge
    values taken before the last required checkpoint's; a severe alert of the session still
    unacknowledged (unless a clinician co-signs with a reason: `cosigned`)."""
    spec = record.template.parsed
    site = record.site
    if record.status == ObservationRecord.Status.SIGNED and record.signed_at is not None:
        return Conflict(
            f"The record was signed at {local_text(record.signed_at, site)}; corrections are "
            "amendments with a reason.",
            code=ERR_RECORD_SIGNED,
        )
    if spec.anchor == "dose" and not record.anchor_recorded:
        return Conflict(
            "Record the dose time (first device) before signing the discharge.",
            code=ERR_ANCHOR_NOT_RECORDED,
        )
    earliest = discharge_earliest(record)
    if now < earliest:
        return Conflict(
            f"Discharge cannot be signed before {local_deadline_text(earliest, site)}: "
            f"{spec.minimum_observation_minutes} minutes after the {spec.anchor} at "
            f"{local_text(record.anchor_at, site)} (now {local_text(now, site)}).",
            code=ERR_TOO_EARLY_TO_SIGN,
            earliest=utc_iso(earliest),
        )
    current = current_entries(record)
    missing = observation_missing(record, current=current)
    if missing:
        lines = [
            f"{key} ({spec.checkpoint(key).label}): {', '.join(fields)}"  # type: ignore[union-attr]
            for key, fields in missing.items()
        ]
        return Conflict(
            "Required checkpoint values are missing: " + "; ".join(lines) + ".",
            code=ERR_CHECKPOINTS_MISSING,
            missing=missing,
        )
    return _discharge_timing_problem(record, current, earliest) or (
        None if cosigned else _severe_alert_problem(record)
    )


def _discharge_timing_problem(
    record: ObservationRecord,
    current: dict[tuple[str, str], ObservationEntry],
    earliest: dt.datetime,
) -> Conflict | None:
    spec = record.template.parsed
    site = record.site
    # The discharge assessment must describe the patient at discharge: vitals taken before
    # the minimum observation time (e.g. 30 minutes into a 2-hour esketamine window) would
    # let the sign-out rest on values from while the patient was still being monitored.
    early: dict[str, list[str]] = {}
    discharge_taken: list[ObservationEntry] = []
    last_required: ObservationEntry | None = None
    for (cp_key, field_key), entry in current.items():
        cp = spec.checkpoint(cp_key)
        if cp is None:
            continue
        if cp.discharge:
            discharge_taken.append(entry)
            if entry.taken_at < earliest:
                early.setdefault(cp_key, []).append(field_key)
        elif cp.required and (last_required is None or entry.taken_at > last_required.taken_at):
            last_required = entry
    if early:
        listed = "; ".join(f"{key}: {', '.join(fields)}" for key, fields in early.items())
        return Conflict(
            "Discharge values must be taken at or after "
            f"{local_text(earliest, site)}, the end of the minimum observation time; "
            f"record them again ({listed}).",
            code=ERR_DISCHARGE_VALUES_TOO_EARLY,
            early=early,
        )
    # ... and it comes last: a 40-minute reading written in after the discharge values (the
    # checkpoint caught up hours late) leaves the sign-out resting on an older state.
    first_discharge = min(discharge_taken, key=lambda e: e.taken_at, default=None)
    if (
        first_discharge is not None
        and last_required is not None
        and first_discharge.taken_at < last_required.taken_at
    ):
        label = next(
            (c.label for c in spec.checkpoints if c.key == _checkpoint_key(record, last_required)),
            "a checkpoint",
        )
        return Conflict(
            f"The discharge values were taken at {local_text(first_discharge.taken_at, site)}, "
            f"before the last required checkpoint ({label}, taken "
            f"{local_text(last_required.taken_at, site)}); record the discharge values again.",
            code=ERR_DISCHARGE_BEFORE_CHECKPOINT,
            last_checkpoint_at=last_required.taken_at.isoformat(),
        )
    return None


def _checkpoint_key(record: ObservationRecord, entry: ObservationEntry) -> str:
    return next((c.key for c in record.checkpoints.all() if c.pk == entry.checkpoint_id), "")


def _severe_alert_problem(record: ObservationRecord) -> Conflict | None:
    open_severe = [
        a for a in record.session.alerts.all() if a.acknowledged_at is None and alert_is_severe(a)
    ]
    if not open_severe:
        return None
    open_severe.sort(key=lambda a: (a.raised_at, a.pk))
    listed = "; ".join(a.message for a in open_severe)
    return Conflict(
        f"A severe alert is not acknowledged yet ({listed}). A clinician acknowledges it with "
        "a note, or co-signs the discharge with a reason.",
        code=ERR_SEVERE_ALERT_OPEN,
        alerts=[a.pk for a in open_severe],
    )


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
