"""What the session record PDF shows (charting/documents/session_record.py): the session, its
screenings, treatment parameters, every observation value (amended originals included), what is
still missing, the sign-off and the alerts, in a fixed number of queries. Callers check roles
and sites first (charting/api/documents.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Q

from charting.discharge import observation_missing
from charting.documents.screening_checklist import ScreeningData
from charting.documents.session_record import AmendmentLine, SessionRecordData, ValueLine
from charting.models import (
    Alert,
    Amendment,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    TreatmentParameters,
)
from charting.recording import checkpoint_minutes_off, current_entries
from charting.selectors.documents.base import (
    alerts_shown,
    choice_text,
    holds_prefetch,
    parameter_lines,
    patient_info,
    person,
    session_resources,
    value_text,
)
from charting.selectors.documents.screening_checklist import screening_data, screenings_with_people
from charting.spec import FormField, TemplateSpec, off_window_text
from scheduling.models import Session


def session_record_data(
    *, session_id: int, now: dt.datetime, answers_shown: bool
) -> SessionRecordData:
    """Queries: session, holds, screenings, parameters, record, checkpoints, entries,
    amendments, alerts (9). Without `answers_shown` (the reader's `patient_answers_visible`),
    no alert that quotes a patient's answer."""
    session = (
        Session.objects.select_related("course__protocol", "patient", "site")
        .prefetch_related(holds_prefetch())
        .get(pk=session_id)
    )
    zone = session.site.zone
    screenings = _screenings(session, zone)
    params = (
        TreatmentParameters.objects.select_related("recorded_by").filter(session=session).first()
    )
    record = (
        ObservationRecord.objects.select_related("template", "signed_by")
        .filter(session=session)
        .first()
    )
    observed = _observed(record, zone) if record is not None else Observed()
    return SessionRecordData(
        site_name=session.site.name,
        zone_name=session.site.timezone,
        generated_at=now.astimezone(zone),
        patient_label=patient_info(session).label,
        protocol=f"{session.course.protocol.name} (version {session.course.protocol.version})",
        session_number=session.number,
        phase=session.phase,
        start=session.start.astimezone(zone),
        status=session.get_status_display(),
        resources=session_resources(session),
        screenings=screenings,
        parameters=parameter_lines(params.values, zone) if params else [],
        parameters_by=(
            f"{person(params.recorded_by)}, {params.recorded_at.astimezone(zone):%d %b %Y %H:%M}"
            if params
            else ""
        ),
        anchor=observed.anchor,
        values=observed.values,
        missing=observed.missing,
        alerts=_alerts(session, zone, answers_shown),
        signed=observed.signed,
        amendments=observed.amendments,
    )


def _screenings(session: Session, zone: ZoneInfo) -> list[ScreeningData]:
    """The course's screening and this session's, in the order they were completed."""
    return [
        screening_data(r, zone, session.number if r.level == "session" else None)
        for r in screenings_with_people()
        .filter(
            Q(course_id=session.course_id, level="course")
            | Q(session_id=session.pk, level="session")
        )
        .order_by("completed_at", "id")
    ]


def _alerts(
    session: Session, zone: ZoneInfo, answers_shown: bool
) -> list[tuple[dt.datetime, str, str]]:
    return [
        (
            a.raised_at.astimezone(zone),
            a.message,
            f"{person(a.acknowledged_by)}, {a.acknowledged_at.astimezone(zone):%d %b %H:%M}"
            + (f": {a.note}" if a.note else "")
            if a.acknowledged_at
            else "",
        )
        for a in alerts_shown(Alert.objects.filter(session=session), answers_shown)
        .select_related("acknowledged_by")
        .order_by("raised_at", "id")
    ]


# --- the observation record ---------------------------------------------------------------


@dataclass
class Observed:
    """The observation part of the record; the defaults say no form was opened."""

    anchor: str = "No observation form opened."
    values: list[ValueLine] = field(default_factory=list)
    amendments: list[AmendmentLine] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    signed: str = ""


def _observed(record: ObservationRecord, zone: ZoneInfo) -> Observed:
    """Checkpoints, entries and amendments in one query each."""
    spec = record.template.parsed
    checkpoints = {c.pk: c for c in ObservationCheckpoint.objects.filter(record=record)}
    entries = list(
        ObservationEntry.objects.filter(record=record)
        .select_related("recorded_by")
        .order_by("checkpoint__position", "field_key", "taken_at", "id")
    )
    values = [_value_line(record, spec, checkpoints[e.checkpoint_id], e, zone) for e in entries]
    amendments = _amendment_lines(record, spec, checkpoints, entries, zone)
    what = "Dose" if spec.anchor == "dose" else "Procedure"
    anchor = (
        f"{what} time {record.anchor_at.astimezone(zone):%H:%M}; checkpoints count from it."
        if record.anchor_recorded
        else f"{what} time not recorded yet; checkpoints count from the session start."
    )
    signed = ""
    if record.signed_at is not None:
        signed_at = record.signed_at.astimezone(zone)
        signed = f"{person(record.signed_by)}, {signed_at:%a %d %b %Y %H:%M}"
    return Observed(
        anchor=anchor,
        values=values,
        amendments=amendments,
        missing=_missing_lines(record, spec, checkpoints, entries, zone),
        signed=signed,
    )


def _field(spec: TemplateSpec, cp: ObservationCheckpoint, key: str) -> FormField | None:
    definition = spec.checkpoint(cp.key)
    return next((x for x in definition.fields if x.key == key), None) if definition else None


def _label(spec: TemplateSpec, cp: ObservationCheckpoint, key: str) -> str:
    f = _field(spec, cp, key)
    return f.label + (f" ({f.unit})" if f.unit else "") if f else key


def _value(
    spec: TemplateSpec, cp: ObservationCheckpoint, e: ObservationEntry, zone: ZoneInfo
) -> str:
    f = _field(spec, cp, e.field_key)
    return choice_text(f, e.value, zone) if f else value_text(e.value, zone)


def _value_line(
    record: ObservationRecord,
    spec: TemplateSpec,
    cp: ObservationCheckpoint,
    e: ObservationEntry,
    zone: ZoneInfo,
) -> ValueLine:
    return ValueLine(
        checkpoint=cp.label,
        due_at=cp.due_at.astimezone(zone),
        field=_label(spec, cp, e.field_key),
        value=_value(spec, cp, e, zone),
        taken_at=e.taken_at.astimezone(zone),
        recorded_by=person(e.recorded_by),
        alert=e.alert_message,
        superseded=e.superseded_by_id is not None,
        timing=off_window_text(checkpoint_minutes_off(record, cp, e.taken_at)),
    )


def _amendment_lines(
    record: ObservationRecord,
    spec: TemplateSpec,
    checkpoints: dict[int, ObservationCheckpoint],
    entries: list[ObservationEntry],
    zone: ZoneInfo,
) -> list[AmendmentLine]:
    by_id = {e.pk: e for e in entries}
    lines = []
    for a in Amendment.objects.filter(record=record).select_related("amended_by"):
        original, replacement = by_id.get(a.original_id), by_id.get(a.replacement_id)
        if original is None or replacement is None:
            continue
        cp = checkpoints[original.checkpoint_id]
        lines.append(
            AmendmentLine(
                field=f"{cp.label}: {_label(spec, cp, original.field_key)}",
                original=_value(spec, cp, original, zone),
                replacement=_value(spec, cp, replacement, zone),
                reason=a.reason,
                by=person(a.amended_by),
                at=a.amended_at.astimezone(zone),
            )
        )
    return lines


def _missing_lines(
    record: ObservationRecord,
    spec: TemplateSpec,
    checkpoints: dict[int, ObservationCheckpoint],
    entries: list[ObservationEntry],
    zone: ZoneInfo,
) -> list[str]:
    """The sign-off's own rule (charting/observations.py `observation_missing`), run on the rows
    loaded above, in the words of the record: checkpoint, due time, field labels."""
    current = current_entries(record, checkpoints=checkpoints.values(), entries=entries)
    by_key = {cp.key: cp for cp in checkpoints.values()}
    lines = []
    for key, absent in observation_missing(record, current=current).items():
        cp = by_key[key]
        definition = spec.checkpoint(key)
        labels = {f.key: f.label for f in definition.fields} if definition else {}
        lines.append(
            f"{cp.label} (due {cp.due_at.astimezone(zone):%H:%M}): "
            + ", ".join(labels.get(k, k) for k in absent)
        )
    return lines
