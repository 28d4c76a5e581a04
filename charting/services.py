"""Charting operations: the only code that writes charting rows.

Every service is keyword-only, runs in one transaction, checks the acting user's role, and takes
an injectable `now`. Role rules (docs/charting.md): nurses and clinicians complete screenings and
observations; only clinicians override hard stops, review flagged screenings, acknowledge
alerts, record TMS/ECT parameters and rate MADRS; nurses may also record esketamine dose
administration. Schedulers read only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from charting import parameters as params_mod
from charting import scoring
from charting.models import (
    Alert,
    Amendment,
    FormTemplate,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    ScaleAdministration,
    ScreeningResponse,
    TreatmentParameters,
)
from charting.spec import (
    AnswersInvalid,
    TemplateError,
    TemplateSpec,
    clean_answers,
    flags_for,
    parse_template,
)
from clinic.errors import Conflict, InvalidInput
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE
from clinic.permissions import require_role
from scheduling.models import Course, Session

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
CHARTING_ROLES = (ROLE_NURSE, ROLE_CLINICIAN)
# A reading timed a little ahead of the server clock is a clock skew, not a prediction.
CLOCK_SKEW = dt.timedelta(minutes=2)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _save(obj: Any, by: Any, **kwargs: Any) -> Any:
    # Name the acting user in the history row explicitly (API tokens and background tasks have
    # no request for simple-history's middleware to read).
    if by is not None:
        obj._history_user = by
    obj.save(**kwargs)
    return obj


def _local(when: dt.datetime, site: Any) -> str:
    return f"{when.astimezone(site.zone):%Y-%m-%d %H:%M %Z}"


def _invalid(exc: AnswersInvalid) -> InvalidInput:
    return InvalidInput(str(exc), code=exc.code)


# --- templates --------------------------------------------------------------------------------


def template_save(*, data: dict[str, Any], builtin: bool = False) -> tuple[FormTemplate, str]:
    """Store one template version; returns (template, "created" | "unchanged" | "updated").

    A version that records already use is immutable: changing it needs a new version number.
    """
    try:
        spec = parse_template(data)
    except TemplateError as exc:
        raise InvalidInput(str(exc), code="invalid_template") from None
    with transaction.atomic():
        row = (
            FormTemplate.objects.select_for_update()
            .filter(slug=spec.slug, version=spec.version)
            .first()
        )
        if row is None:
            row = FormTemplate.objects.create(
                slug=spec.slug,
                version=spec.version,
                kind=spec.kind,
                modality=spec.modality.value if spec.modality else "",
                name=spec.name,
                spec=data,
                builtin=builtin,
            )
            return row, "created"
        if row.spec == data:
            return row, "unchanged"
        if _template_in_use(row):
            raise Conflict(
                f"{spec.slug} v{spec.version} is already used by records; give the change a "
                "new version number.",
                code="template_in_use",
            )
        row.spec = data
        row.name = spec.name
        row.kind = spec.kind
        row.modality = spec.modality.value if spec.modality else ""
        row.save()
        return row, "updated"


def _template_in_use(row: FormTemplate) -> bool:
    return (
        ScreeningResponse.objects.filter(template=row).exists()
        or ObservationRecord.objects.filter(template=row).exists()
    )


def template_load_library(*, directory: Path = LIBRARY_DIR) -> list[tuple[str, int, str]]:
    """Load every built-in template (charting/library/*.json); idempotent."""
    out = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        try:
            row, action = template_save(data=data, builtin=True)
        except InvalidInput as exc:
            raise InvalidInput(f"{path.name}: {exc.message}", code=exc.code) from None
        out.append((row.slug, row.version, action))
    return out


def template_current(slug: str) -> FormTemplate:
    """The newest version of a template; built-ins are loaded on first use if missing."""
    row = FormTemplate.objects.filter(slug=slug).order_by("-version").first()
    if row is None and (LIBRARY_DIR / f"{slug}.json").exists():
        row, _ = template_save(
            data=json.loads((LIBRARY_DIR / f"{slug}.json").read_text()), builtin=True
        )
    if row is None:
        raise Conflict(
            f"The protocol names form template {slug!r}, which is not loaded "
            "(manage.py load_form_templates).",
            code="template_missing",
        )
    return row


# --- screening --------------------------------------------------------------------------------


def _screen(
    *,
    template: FormTemplate,
    level: str,
    course: Course,
    session: Session | None,
    answers: Any,
    by: Any,
    now: dt.datetime,
) -> ScreeningResponse:
    spec = template.parsed
    if spec.kind != "screening":
        raise Conflict(f"{template.slug} is not a screening checklist.", code="wrong_template_kind")
    try:
        clean = clean_answers(spec.fields, answers, require_all=True)
    except AnswersInvalid as exc:
        raise _invalid(exc) from None
    hard: list[dict[str, str]] = []
    review: list[dict[str, str]] = []
    for field in spec.fields:
        for flag in flags_for(field, clean.get(field.key)):
            item = {"key": flag.key, "message": flag.message}
            # An out-of-range vital sign in a checklist is a matter for review, not an alarm.
            (hard if flag.kind == "hard_stop" else review).append(item)
    response = ScreeningResponse(
        template=template,
        level=level,
        course=course,
        session=session,
        site_id=course.site_id,
        patient_id=course.patient_id,
        answers=clean,
        hard_stops=hard,
        review_items=review,
        completed_by=by,
        completed_at=now,
    )
    try:
        with transaction.atomic():
            _save(response, by)
    except IntegrityError:
        raise Conflict(
            "This screening has already been completed.", code="screening_exists"
        ) from None
    return response


def course_screening_submit(
    *, course: Course, answers: Any, by: Any, now: dt.datetime | None = None
) -> ScreeningResponse:
    """Complete the course-level screen (once per course, before the first check-in)."""
    require_role(by, *CHARTING_ROLES, action="complete screenings")
    now = _now(now)
    with transaction.atomic():
        # Serialise submissions for one course (two nurses on two tablets).
        course = Course.objects.select_for_update().select_related("protocol").get(pk=course.pk)
        slug = course.protocol.parsed.forms.course_screening
        if slug is None:
            raise Conflict(
                "This course's protocol has no course screening.", code="no_screening_form"
            )
        if course.status in (Course.Status.COMPLETED, Course.Status.DISCONTINUED):
            raise Conflict(f"The course is {course.status}.", code="course_closed")
        if ScreeningResponse.objects.filter(course=course, level="course").exists():
            raise Conflict("The course screening is already complete.", code="screening_exists")
        return _screen(
            template=template_current(slug),
            level=ScreeningResponse.Level.COURSE,
            course=course,
            session=None,
            answers=answers,
            by=by,
            now=now,
        )


def session_screening_submit(
    *, session: Session, answers: Any, by: Any, now: dt.datetime | None = None
) -> ScreeningResponse:
    """Complete the per-session screen (before the session starts)."""
    require_role(by, *CHARTING_ROLES, action="complete screenings")
    now = _now(now)
    with transaction.atomic():
        session = (
            Session.objects.select_for_update()
            .select_related("course__protocol")
            .get(pk=session.pk)
        )
        slug = session.course.protocol.parsed.forms.session_screening
        if slug is None:
            raise Conflict(
                "This session's protocol has no per-session screening.", code="no_screening_form"
            )
        if session.status not in (Session.Status.SCHEDULED, Session.Status.CHECKED_IN):
            raise Conflict(
                f"The session is {session.status}; screening comes before the session starts.",
                code="session_not_open",
            )
        if ScreeningResponse.objects.filter(session=session, level="session").exists():
            raise Conflict("This session's screening is already complete.", code="screening_exists")
        return _screen(
            template=template_current(slug),
            level=ScreeningResponse.Level.SESSION,
            course=session.course,
            session=session,
            answers=answers,
            by=by,
            now=now,
        )


def screening_override(
    *, screening: ScreeningResponse, reason: str, by: Any, now: dt.datetime | None = None
) -> ScreeningResponse:
    """A clinician clears a hard stop (and any review items) with a reason; who/when kept."""
    require_role(by, ROLE_CLINICIAN, action="override a screening hard stop")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise InvalidInput("reason: say why the hard stop is overridden.", code="reason_required")
    now = _now(now)
    with transaction.atomic():
        screening = ScreeningResponse.objects.select_for_update().get(pk=screening.pk)
        if not screening.hard_stops:
            raise Conflict(
                "This screening has no hard stop to override.", code="nothing_to_override"
            )
        if screening.override_at is not None:
            raise Conflict("The hard stop has already been overridden.", code="already_overridden")
        screening.override_by = by
        screening.override_at = now
        screening.override_reason = reason
        return _save(screening, by)


def screening_review(
    *, screening: ScreeningResponse, note: str = "", by: Any, now: dt.datetime | None = None
) -> ScreeningResponse:
    """A clinician reviews a screening's flagged items (not hard stops: those need override)."""
    require_role(by, ROLE_CLINICIAN, action="review screenings")
    now = _now(now)
    with transaction.atomic():
        screening = ScreeningResponse.objects.select_for_update().get(pk=screening.pk)
        if screening.hard_stops and screening.override_at is None:
            raise Conflict(
                "This screening has a hard stop: a clinician must override it with a reason.",
                code="hard_stop_needs_override",
            )
        if not screening.review_items:
            raise Conflict("Nothing on this screening needs review.", code="nothing_to_review")
        if screening.reviewed_at is not None:
            raise Conflict("This screening has already been reviewed.", code="already_reviewed")
        screening.reviewed_by = by
        screening.reviewed_at = now
        screening.review_note = (note or "").strip()
        return _save(screening, by)


# --- observation ------------------------------------------------------------------------------


def observation_open(
    *, session: Session, by: Any = None, now: dt.datetime | None = None
) -> ObservationRecord | None:
    """Open the session's observation record (idempotent); None when the protocol has none.

    Checkpoints are due from the session's start until the dose/procedure time is recorded.
    """
    now = _now(now)
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
        record = _save(
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
            _save(
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
        raise Conflict(
            f"The record was signed at {_local(record.signed_at, record.site)}; corrections are "
            "amendments with a reason.",
            code="record_signed",
        )
    return record


def _set_anchor(record: ObservationRecord, at: dt.datetime, by: Any) -> None:
    record.anchor_at = at
    record.anchor_recorded = True
    _save(record, by)
    for cp in record.checkpoints.all():
        cp.due_at = at + dt.timedelta(minutes=cp.offset_minutes)
        _save(cp, by)


def _check_anchor(at: dt.datetime, session: Session, now: dt.datetime, name: str) -> None:
    # The anchor decides when discharge may be signed: a dose time far in the past would let
    # the minimum observation time be skipped, one in the future would block sign-out.
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"{name}: the dose/procedure time cannot be in the future.", code="time_in_future"
        )
    if at < session.start - dt.timedelta(hours=12):
        raise InvalidInput(
            f"{name}: the dose/procedure time is long before the session's booked start.",
            code="time_out_of_session",
        )


def observation_set_anchor(
    *, record: ObservationRecord, at: dt.datetime, by: Any, now: dt.datetime | None = None
) -> ObservationRecord:
    """Record the actual dose/procedure time; checkpoint due times follow it."""
    require_role(by, *CHARTING_ROLES, action="record observations")
    now = _now(now)
    with transaction.atomic():
        record = _locked_open_record(record)
        _check_anchor(at, record.session, now, "at")
        _set_anchor(record, at, by)
        return record


def _current_entries(record: ObservationRecord) -> dict[tuple[str, str], ObservationEntry]:
    """The value that counts per (checkpoint, field): the latest not superseded by an amendment."""
    current: dict[tuple[str, str], ObservationEntry] = {}
    for entry in (
        record.entries.filter(superseded_by__isnull=True)
        .select_related("checkpoint")
        .order_by("taken_at", "id")
    ):
        current[(entry.checkpoint.key, entry.field_key)] = entry
    return current


def _raise_alerts(
    record: ObservationRecord,
    entry: ObservationEntry,
    messages: list[str],
    now: dt.datetime,
    by: Any,
) -> None:
    session = record.session
    for message in messages:
        _save(
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
    by: Any,
    now: dt.datetime | None = None,
) -> list[ObservationEntry]:
    """Record values taken at a checkpoint (all or some of its fields). Out-of-range values are
    accepted and raise alerts on the record and the session; impossible values are refused and
    nothing is saved."""
    require_role(by, *CHARTING_ROLES, action="record observations")
    now = _now(now)
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
            raise _invalid(exc) from None
        cp_row = record.checkpoints.get(key=checkpoint)
        entries = []
        for field in cp_spec.fields:
            if field.key not in clean:
                continue
            messages = [f.message for f in flags_for(field, clean[field.key])]
            entry = _save(
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
    current = _current_entries(record)
    missing: dict[str, list[str]] = {}
    for cp in spec.checkpoints:
        if not cp.required:
            continue
        absent = [f.key for f in cp.fields if f.required and (cp.key, f.key) not in current]
        if absent:
            missing[cp.key] = absent
    return missing


def observation_sign(
    *, record: ObservationRecord, by: Any, now: dt.datetime | None = None
) -> ObservationRecord:
    """Sign the patient out. Refused before the minimum observation time (counted from the
    recorded dose/procedure time) and while a required checkpoint value is missing."""
    require_role(by, *CHARTING_ROLES, action="sign observation records")
    now = _now(now)
    with transaction.atomic():
        record = _locked_open_record(record)
        spec = record.template.parsed
        site = record.site
        if spec.anchor == "dose" and not record.anchor_recorded:
            raise Conflict(
                "Record the dose time (first device) before signing the discharge.",
                code="anchor_not_recorded",
            )
        earliest = record.anchor_at + dt.timedelta(minutes=spec.minimum_observation_minutes)
        if now < earliest:
            raise Conflict(
                f"Discharge cannot be signed before {_local(earliest, site)}: "
                f"{spec.minimum_observation_minutes} minutes after the {spec.anchor} at "
                f"{_local(record.anchor_at, site)} (now {_local(now, site)}).",
                code="too_early_to_sign",
                earliest=earliest.isoformat(),
            )
        missing = observation_missing(record)
        if missing:
            lines = [
                f"{key} ({spec.checkpoint(key).label}): {', '.join(fields)}"  # type: ignore[union-attr]
                for key, fields in missing.items()
            ]
            raise Conflict(
                "Required checkpoint values are missing: " + "; ".join(lines) + ".",
                code="checkpoints_missing",
                missing=missing,
            )
        # The discharge assessment must describe the patient at discharge: vitals taken before
        # the minimum observation time (e.g. 30 minutes into a 2-hour esketamine window) would
        # let the sign-out rest on values from while the patient was still being monitored.
        early: dict[str, list[str]] = {}
        for (cp_key, field_key), entry in _current_entries(record).items():
            cp = spec.checkpoint(cp_key)
            if cp is not None and cp.discharge and entry.taken_at < earliest:
                early.setdefault(cp_key, []).append(field_key)
        if early:
            listed = "; ".join(f"{key}: {', '.join(fields)}" for key, fields in early.items())
            raise Conflict(
                "Discharge values must be taken at or after "
                f"{_local(earliest, site)}, the end of the minimum observation time; "
                f"record them again ({listed}).",
                code="discharge_values_too_early",
                early=early,
            )
        record.status = ObservationRecord.Status.SIGNED
        record.signed_by = by
        record.signed_at = now
        return _save(record, by)


def observation_amend(
    *,
    record: ObservationRecord,
    checkpoint: str,
    field: str,
    value: Any,
    reason: str,
    by: Any,
    now: dt.datetime | None = None,
) -> Amendment:
    """Correct a value on a signed record: a new entry replaces the old one, which is kept and
    marked superseded; the amendment records who, when and why."""
    require_role(by, *CHARTING_ROLES, action="amend observation records")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise InvalidInput("reason: say why the value is corrected.", code="reason_required")
    now = _now(now)
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
            raise _invalid(exc) from None
        original = _current_entries(record).get((checkpoint, field))
        if original is None:
            raise Conflict(
                f"{checkpoint}.{field} has no recorded value to amend.", code="nothing_to_amend"
            )
        field_spec = next(f for f in cp_spec.fields if f.key == field)
        messages = [f.message for f in flags_for(field_spec, clean[field])]
        replacement = _save(
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
        _save(original, by)
        _raise_alerts(record, replacement, messages, now, by)
        amendment = _save(
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
        _refresh_monitoring_form(record, by)
        return amendment


# --- treatment parameters ---------------------------------------------------------------------


def parameters_record(
    *, session: Session, values: Any, by: Any, now: dt.datetime | None = None
) -> TreatmentParameters:
    """Record (or correct, until the session is completed) what was delivered.

    TMS and ECT: clinicians. Esketamine: nurses or clinicians (dose administration). A recorded
    esketamine first-device time or ECT stimulus time becomes the observation anchor.
    """
    now = _now(now)
    with transaction.atomic():
        session = (
            Session.objects.select_for_update().select_related("course", "site").get(pk=session.pk)
        )
        modality = session.course.modality or session.course.protocol.modality
        if modality == "esketamine":
            require_role(by, *CHARTING_ROLES, action="record esketamine dose administration")
        else:
            require_role(by, ROLE_CLINICIAN, action=f"record {modality.upper()} parameters")
        if session.status in (Session.Status.SCHEDULED, Session.Status.CHECKED_IN):
            raise Conflict("The session has not started.", code="session_not_started")
        if session.status in Session.INACTIVE:
            raise Conflict(f"The session is {session.status}.", code="session_not_open")
        if session.status == Session.Status.COMPLETED:
            raise Conflict(
                "The session is completed; its parameters are locked.", code="parameters_locked"
            )
        try:
            parsed = params_mod.parse_parameters(modality, values)
        except params_mod.ParametersError as exc:
            raise InvalidInput(str(exc), code="invalid_parameters") from None
        flags = params_mod.parameter_flags(parsed)
        anchor = params_mod.anchor_time(parsed)
        if anchor is not None:
            name = "first_device_at" if modality == "esketamine" else "stimulus_at"
            _check_anchor(anchor, session, now, f"values.{name}")
        row = TreatmentParameters.objects.filter(session=session).first()
        old_flags = set(row.flags) if row else set()
        if row is None:
            row = TreatmentParameters(session=session, site_id=session.site_id, modality=modality)
        row.values = parsed.model_dump(mode="json")
        row.flags = flags
        row.recorded_by = by
        row.recorded_at = now
        _save(row, by)
        for message in flags:
            if message not in old_flags:
                _save(
                    Alert(
                        kind=Alert.Kind.PARAMETER,
                        site_id=session.site_id,
                        patient_id=session.patient_id,
                        course_id=session.course_id,
                        session=session,
                        message=message,
                        raised_at=now,
                    ),
                    by,
                )
        record = ObservationRecord.objects.filter(session=session).first()
        if anchor is not None and record is not None and record.status == "open":
            _set_anchor(record, anchor, by)
        return row


# --- outcome scales ---------------------------------------------------------------------------


def scale_record(
    *,
    course: Course,
    scale: str,
    items: Any,
    administered_at: dt.datetime,
    session: Session | None = None,
    by: Any,
    now: dt.datetime | None = None,
) -> ScaleAdministration:
    """Score and store a rating scale; a positive PHQ-9 item 9 raises a safety alert."""
    try:
        definition = scoring.get_scale(scale)
    except scoring.ScoreError as exc:
        raise InvalidInput(str(exc), code=exc.code) from None
    if definition.rater == "clinician":
        require_role(by, ROLE_CLINICIAN, action=f"rate {definition.name.upper()}")
    else:
        require_role(by, *CHARTING_ROLES, action="record rating scales")
    now = _now(now)
    if administered_at > now + CLOCK_SKEW:
        raise InvalidInput("administered_at: cannot be in the future.", code="time_in_future")
    if not isinstance(items, dict):
        raise InvalidInput("items: must be an object of item scores.", code="invalid_value")
    try:
        result = scoring.score(scale, items)
    except scoring.ScoreError as exc:
        raise InvalidInput(str(exc), code=exc.code) from None
    if session is not None and session.course_id != course.pk:
        raise InvalidInput("session: belongs to another course.", code="session_not_in_course")
    with transaction.atomic():
        row = _save(
            ScaleAdministration(
                course=course,
                session=session,
                site_id=course.site_id,
                patient_id=course.patient_id,
                scale=result.scale,
                items=result.items,
                total=result.total,
                band=result.band,
                safety_positive=result.safety_positive,
                administered_at=administered_at,
                recorded_by=by,
                recorded_at=now,
            ),
            by,
        )
        if result.safety_positive:
            answer = definition.answer_labels[result.items[definition.safety_item or ""]]
            _save(
                Alert(
                    kind=Alert.Kind.SAFETY,
                    site_id=course.site_id,
                    patient_id=course.patient_id,
                    course=course,
                    session=session,
                    scale=row,
                    message=(
                        f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm): "
                        f"{answer.lower()}. Same-day safety assessment needed."
                    ),
                    raised_at=now,
                ),
                by,
            )
        return row


def course_outcomes(course: Course) -> list[tuple[scoring.Outcome, list[ScaleAdministration]]]:
    """Per scale used in the course: baseline (first), trajectory, response and remission."""
    rows = list(ScaleAdministration.objects.filter(course=course).order_by("administered_at", "id"))
    by_scale: dict[str, list[ScaleAdministration]] = {}
    for row in rows:
        by_scale.setdefault(row.scale, []).append(row)
    return [
        (scoring.outcome(name, [r.total for r in items]), items)
        for name, items in sorted(by_scale.items())
    ]


# --- alerts -----------------------------------------------------------------------------------


def alert_acknowledge(
    *, alert: Alert, note: str = "", by: Any, now: dt.datetime | None = None
) -> Alert:
    """A clinician acknowledges an alert; a safety alert needs a note of what was done."""
    require_role(by, ROLE_CLINICIAN, action="acknowledge alerts")
    now = _now(now)
    note = (note or "").strip()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            raise Conflict("This alert has already been acknowledged.", code="already_acknowledged")
        if alert.kind == Alert.Kind.SAFETY and not note:
            raise InvalidInput(
                "note: record the safety assessment or action taken.", code="note_required"
            )
        alert.acknowledged_by = by
        alert.acknowledged_at = now
        alert.note = note
        return _save(alert, by)


# --- esketamine monitoring form queue ---------------------------------------------------------


def _person(user: Any) -> dict[str, str]:
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
    current = _current_entries(record)
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
    out = []
    for item in spec.report:
        parts = item.source.split(".")
        if parts[0] == "checkpoint":
            entry = current.get((parts[1], parts[2]))
            value = entry.value if entry is not None else None
            if value is not None and len(parts) == 4:
                value = value.get(parts[3])
        else:
            value = sources.get(parts[0], {}).get(parts[1])
        out.append({"key": item.key, "label": item.label, "value": value})
    return out


def monitoring_form_queue(
    *, session: Session, by: Any = None, now: dt.datetime | None = None
) -> MonitoringFormItem | None:
    """Queue the REMS monitoring form of a completed outpatient esketamine session, due
    `report_due_days` (7) calendar days after the session's local date (CLINICAL.md §3)."""
    now = _now(now)
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
        return _save(
            MonitoringFormItem(
                session=session,
                course_id=session.course_id,
                site_id=session.site_id,
                patient_id=session.patient_id,
                template=record.template,
                due_date=local_day + dt.timedelta(days=spec.report_due_days or 7),
                prefill=_report_prefill(spec, record),
                created_at=now,
            ),
            by,
        )


def _refresh_monitoring_form(record: ObservationRecord, by: Any) -> None:
    # An amendment after completion must reach a form that has not been submitted yet.
    item = MonitoringFormItem.objects.filter(session=record.session, status="open").first()
    if item is not None:
        item.prefill = _report_prefill(record.template.parsed, record)
        _save(item, by)


def monitoring_form_submit(
    *,
    item: MonitoringFormItem,
    how: str,
    reference: str = "",
    submitted_at: dt.datetime | None = None,
    by: Any,
    now: dt.datetime | None = None,
) -> MonitoringFormItem:
    """Mark a monitoring form submitted to the REMS (who, when, how)."""
    require_role(by, *CHARTING_ROLES, action="submit monitoring forms")
    now = _now(now)
    if how not in MonitoringFormItem.Method.values:
        raise InvalidInput(
            f"how: must be one of {', '.join(MonitoringFormItem.Method.values)}.",
            code="invalid_value",
        )
    when = submitted_at or now
    if when > now + CLOCK_SKEW:
        raise InvalidInput("submitted_at: cannot be in the future.", code="time_in_future")
    with transaction.atomic():
        item = MonitoringFormItem.objects.select_for_update().get(pk=item.pk)
        if item.status == MonitoringFormItem.Status.SUBMITTED:
            raise Conflict("This monitoring form is already submitted.", code="already_submitted")
        item.status = MonitoringFormItem.Status.SUBMITTED
        item.submitted_by = by
        item.submitted_at = when
        item.submitted_how = how
        item.reference = reference.strip()[:100]
        return _save(item, by)
