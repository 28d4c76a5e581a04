"""When the discharge may be signed: the required values still missing, the end of the minimum
observation time, and observation_sign_problem, the one predicate the sign-off service
(charting/observations.py observation_sign), the nurse's form and the nurse's day list ask.
Reads only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch

from charting.alerts import alert_is_severe
from charting.error_codes import (
    ERR_ANCHOR_NOT_RECORDED,
    ERR_CHECKPOINTS_MISSING,
    ERR_DISCHARGE_BEFORE_CHECKPOINT,
    ERR_DISCHARGE_VALUES_TOO_EARLY,
    ERR_RECORD_SIGNED,
    ERR_SEVERE_ALERT_OPEN,
    ERR_TOO_EARLY_TO_SIGN,
)
from charting.models import Alert, ObservationEntry, ObservationRecord
from charting.recording import current_entries, local_deadline_text, local_text
from clinic.clock import utc_iso
from clinic.errors import Conflict


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
