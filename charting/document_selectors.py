"""Reads for the charting documents (charting/documents/): each function loads what one PDF
shows, in a fixed number of queries whatever the number of sessions, and returns the plain data
the renderer lays out. Callers check roles and sites first (charting/api/documents.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Length

from charting import scoring
from charting.baselines import first_session_of, scale_outcome, scale_points
from charting.documents.blank_forms import BlankCheckpoint, BlankField, BlankFormData
from charting.documents.course_summary import (
    AlertLine,
    CourseSummaryData,
    EarlyReviewInfo,
    OutcomeLine,
    PatientInfo,
    ScaleLine,
    SessionLine,
)
from charting.documents.rems_form import RemsFieldLine, RemsFormData
from charting.documents.run_sheet import RunSheetData, RunSheetLine
from charting.documents.screening_checklist import AnswerLine, ScreeningChecklistData, ScreeningData
from charting.documents.session_record import AmendmentLine, SessionRecordData, ValueLine
from charting.models import (
    Alert,
    Amendment,
    FormTemplate,
    MonitoringFormItem,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
    RunSheet,
    ScaleAdministration,
    ScaleSource,
    ScreeningResponse,
    TreatmentParameters,
)
from charting.monitoring_forms import monitoring_form_prefill
from charting.recording import checkpoint_minutes_off
from charting.selectors import ANSWER_ALERTS
from charting.spec import FormField, TemplateSpec, off_window_text
from charting.trajectory import scale_series
from clinic.errors import NotFound
from clinic.models import Site
from scheduling.availability import local_day_bounds
from scheduling.models import Course, ResourceHold, Session

# Screening answers that say the patient has a ride home (esketamine) or an escort (ECT).
RIDE_HOME_FIELDS = ("ride_home", "escort_arranged")

PARAMETER_LABELS = {
    "motor_threshold_pct": ("Motor threshold", "% output"),
    "motor_threshold_measured_today": ("MT measured today", ""),
    "intensity_pct_mt": ("Intensity", "% MT"),
    "pulses_delivered": ("Pulses", ""),
    "coil_type": ("Coil", ""),
    "coil_position": ("Coil position", ""),
    "frequency_hz": ("Frequency", "Hz"),
    "electrode_placement": ("Placement", ""),
    "stimulus_at": ("Stimulus at", ""),
    "pulse_width_ms": ("Pulse width", "ms"),
    "current_ma": ("Current", "mA"),
    "duration_s": ("Duration", "s"),
    "charge_mc": ("Stimulus dose", "mC"),
    "seizure_threshold_multiple": ("Dose", "x ST"),
    "eeg_seizure_s": ("EEG seizure", "s"),
    "motor_seizure_s": ("Motor seizure", "s"),
    "seizure_terminated": ("Seizure terminated", ""),
    "termination_drug": ("Termination drug", ""),
    "anaesthetic": ("Anaesthetic", ""),
    "anaesthetic_dose_mg": ("Anaesthetic dose", "mg"),
    "muscle_relaxant": ("Muscle relaxant", ""),
    "muscle_relaxant_dose_mg": ("Relaxant dose", "mg"),
    "restimulated": ("Restimulated", ""),
    "dose_mg": ("Dose", "mg"),
    "devices": ("Devices", ""),
    "device_lot": ("Lot", ""),
    "first_device_at": ("First device", ""),
    "last_device_at": ("Last device", ""),
    "notes": ("Notes", ""),
}


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _text(value: Any, zone: ZoneInfo | None = None) -> str:
    """An answer or parameter value as printed text."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return "-"
    if isinstance(value, dict) and {"systolic", "diastolic"} <= value.keys():
        return f"{value['systolic']}/{value['diastolic']}"
    if isinstance(value, str) and zone is not None and len(value) >= 19 and value[10] == "T":
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if when.tzinfo is not None:
            return f"{when.astimezone(zone):%d %b %Y %H:%M}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parameter_lines(values: dict[str, Any], zone: ZoneInfo) -> list[tuple[str, str]]:
    """Treatment parameters as (label, value with unit) in a stable, readable order."""
    out = []
    known = [k for k in PARAMETER_LABELS if k in values]
    for key in [*known, *sorted(set(values) - set(PARAMETER_LABELS))]:
        value = values[key]
        if value in (None, "") or (key == "motor_threshold_measured_today" and not value):
            continue
        label, unit = PARAMETER_LABELS.get(key, (key.replace("_", " ").capitalize(), ""))
        text = _text(value, zone)
        out.append((label, f"{text} {unit}".strip()))
    return out


def _holds() -> Prefetch:
    return Prefetch(
        "holds",
        queryset=ResourceHold.objects.select_related("resource").order_by("start", "id"),
    )


def _resources(session: Session) -> list[str]:
    names: list[str] = []
    for hold in session.holds.all():
        if hold.resource.name not in names:
            names.append(hold.resource.name)
    return names


def _resource_names(course_id: int) -> dict[int, list[str]]:
    """Each session's resource names in hold order, in one query of plain rows (a prefetch
    would build a hold and a resource object per row, most of the course summary's read time)."""
    names: dict[int, list[str]] = {}
    for session_id, name in (
        ResourceHold.objects.filter(session__course_id=course_id)
        .order_by("start", "id")
        .values_list("session_id", "resource__name")
    ):
        held = names.setdefault(session_id, [])
        if name not in held:
            held.append(name)
    return names


def _patient(course_or_session: Any) -> PatientInfo:
    p = course_or_session.patient
    return PatientInfo(p.full_name, p.mrn, p.date_of_birth, p.sex)


# --- course summary -----------------------------------------------------------------------


def course_summary_data(
    *, course_id: int, now: dt.datetime, answers_shown: bool
) -> CourseSummaryData:
    """Queries: course (with its early review), sessions with their parameters, holds, session
    history, alerts, scales (6).

    `answers_shown` is the reader's `patient_answers_visible` (charting/selectors.py): without
    it the summary has no scales, outcomes or early review, and no alert that quotes an answer
    (the renderer says so)."""
    course = Course.objects.select_related(
        "patient", "protocol", "site", "prescriber", "early_review__decided_by"
    ).get(pk=course_id)
    zone = course.site.zone
    # Each session's treatment parameters (one-to-one) come in the same row. Only the columns
    # read below: converting a session's other timestamps was a tenth of the read time (a field
    # left out here costs a query per session when read; the query-count test catches that).
    sessions = list(
        Session.objects.filter(course_id=course_id)
        .annotate(parameter_values=F("parameters__values"))
        .only("number", "phase", "start", "end", "status", "status_reason")
        .order_by("number", "id")
    )
    resources = _resource_names(course_id)
    # The first start each session was booked at, from its history: a later start is a move.
    first_start: dict[int, dt.datetime] = {}
    for sid, start in (
        Session.history.filter(course_id=course_id)
        .order_by("history_date", "history_id")
        .values_list("id", "start")
    ):
        first_start.setdefault(sid, start)
    numbers = {s.pk: s.number for s in sessions}
    lines = []
    for s in sessions:
        notes = []
        booked = first_start.get(s.pk, s.start)
        if booked != s.start:
            notes.append(f"moved from {booked.astimezone(zone):%a %d %b %H:%M}")
        if s.status_reason:
            notes.append(s.status_reason)
        lines.append(
            SessionLine(
                number=s.number,
                phase=s.phase,
                start=s.start.astimezone(zone),
                end=s.end.astimezone(zone),
                resources=resources.get(s.pk, []),
                status=s.get_status_display(),
                note="; ".join(notes),
                parameters=parameter_lines(s.parameter_values or {}, zone),
            )
        )
    alerts = [
        AlertLine(
            raised_at=a.raised_at.astimezone(zone),
            kind=a.get_kind_display(),
            message=a.message,
            session_number=numbers.get(a.session_id) if a.session_id else None,
            reviewed=(
                f"{_person(a.acknowledged_by)}, "
                f"{a.acknowledged_at.astimezone(zone):%d %b %Y %H:%M}"
                + (f": {a.note}" if a.note else "")
                if a.acknowledged_at
                else ""
            ),
        )
        for a in _alerts_shown(Alert.objects.filter(course_id=course_id), answers_shown)
        .select_related("acknowledged_by")
        .order_by("raised_at", "id")
    ]
    rows = (
        list(
            ScaleAdministration.objects.filter(course_id=course_id)
            .select_related("baseline_marked_by")
            .order_by("administered_at", "id")
        )
        if answers_shown
        else []
    )
    scales = []
    by_scale: dict[str, list[ScaleAdministration]] = {}
    for row in rows:
        definition = scoring.get_scale(row.scale)
        scales.append(
            ScaleLine(
                scale=definition.name.upper().replace("PHQ9", "PHQ-9").replace("GAD7", "GAD-7"),
                administered_at=row.administered_at.astimezone(zone),
                session_number=numbers.get(row.session_id) if row.session_id else None,
                total=row.total,
                band=row.band,
                self_report=definition.rater == "self",
                by_patient=row.source == ScaleSource.PATIENT,
            )
        )
        by_scale.setdefault(row.scale, []).append(row)
    outcomes = []
    first = first_session_of(
        ((s.number, s.start, s.status not in Session.INACTIVE) for s in sessions), zone=zone
    )
    for name, items in sorted(by_scale.items()):
        definition = scoring.get_scale(name)
        result = scale_outcome(name, items, first_session=first, zone=zone, numbers=numbers)
        marked = items[result.baseline_at] if result.baseline_at is not None else None
        outcomes.append(
            OutcomeLine(
                scale=scales_label(name),
                title=definition.title,
                baseline=result.baseline,
                baseline_at=result.baseline_at,
                baseline_mark=(
                    f"Marked as baseline by {_person(marked.baseline_marked_by)}, "
                    f"{marked.baseline_marked_at.astimezone(zone):%d %b %Y}: "
                    f"{marked.baseline_reason}"
                    if marked is not None and marked.baseline_marked_at is not None
                    else ""
                ),
                latest=result.latest,
                change_pct=result.change_pct,
                response=result.response,
                remission=result.remission,
                series=scale_series(
                    name,
                    scale_points(items, zone=zone, numbers=numbers),
                    baseline_at=result.baseline_at,
                ),
                self_report=definition.rater == "self",
            )
        )
    outcomes.sort(key=lambda o: not o.self_report)
    return CourseSummaryData(
        site_name=course.site.name,
        zone_name=course.site.timezone,
        generated_at=now.astimezone(zone),
        patient=_patient(course),
        protocol=course.protocol.name,
        protocol_version=course.protocol.version,
        modality=course.modality,
        indication=course.protocol.indication,
        prescriber=_person(course.prescriber),
        course_status=course.get_status_display(),
        start_date=course.start_date,
        sessions=lines,
        alerts=alerts,
        scales=scales,
        outcomes=outcomes,
        early_review=_early_review_info(course, zone) if answers_shown else None,
        answers_shown=answers_shown,
    )


def _alerts_shown(queryset: QuerySet[Alert], answers_shown: bool) -> QuerySet[Alert]:
    return queryset if answers_shown else queryset.exclude(ANSWER_ALERTS)


def _early_review_info(course: Course, zone: ZoneInfo) -> EarlyReviewInfo | None:
    # Loaded with the course (select_related): no query of its own.
    review = getattr(course, "early_review", None)
    if review is None:
        return None
    return EarlyReviewInfo(
        status=review.get_status_display(),
        scale=scales_label(review.scale),
        at_session=review.at_session,
        baseline_total=review.baseline_total,
        measured_total=review.measured_total,
        improvement_percent=(
            None if review.improvement_percent is None else float(review.improvement_percent)
        ),
        threshold_percent=review.threshold_percent,
        evidence=review.evidence,
        citation=review.citation,
        raised_at=review.raised_at.astimezone(zone),
        decision=review.get_decision_display() if review.decision else "",
        note=review.note,
        decided_by=_person(review.decided_by),
        decided_at=review.decided_at.astimezone(zone) if review.decided_at else None,
    )


def scales_label(name: str) -> str:
    """phq9 -> PHQ-9, gad7 -> GAD-7, madrs -> MADRS, qids_sr16 -> QIDS-SR16."""
    labels = {"phq9": "PHQ-9", "gad7": "GAD-7"}
    return labels.get(name, name.upper().replace("_", "-"))


# --- screening ----------------------------------------------------------------------------


def _answer_lines(
    spec: TemplateSpec, response: ScreeningResponse, zone: ZoneInfo
) -> list[AnswerLine]:
    hard = {i["key"] for i in response.hard_stops}
    review = {i["key"] for i in response.review_items}
    lines = []
    for f in spec.fields:
        value = response.answers.get(f.key)
        lines.append(
            AnswerLine(
                label=f.label + (f" ({f.unit})" if f.unit else ""),
                answer=_choice_text(f, value, zone),
                flag="hard stop" if f.key in hard else ("review" if f.key in review else ""),
            )
        )
    return lines


def _choice_text(f: FormField, value: Any, zone: ZoneInfo) -> str:
    if f.choices and isinstance(value, str):
        return next((c.label for c in f.choices if c.value == value), value)
    return _text(value, zone)


def _screening_data(
    response: ScreeningResponse, zone: ZoneInfo, session_number: int | None
) -> ScreeningData:
    def who(user: User | None, at: dt.datetime | None, note: str) -> str:
        if at is None:
            return ""
        return f"{_person(user)}, {at.astimezone(zone):%d %b %Y %H:%M}" + (
            f": {note}" if note else ""
        )

    return ScreeningData(
        template_name=response.template.name,
        template_version=response.template.version,
        level=response.level,
        session_number=session_number,
        status=response.status,
        answers=_answer_lines(response.template.parsed, response, zone),
        completed_by=_person(response.completed_by),
        completed_at=response.completed_at.astimezone(zone),
        reviewed=who(response.reviewed_by, response.reviewed_at, response.review_note),
        override=who(response.override_by, response.override_at, response.override_reason),
    )


def _screenings() -> QuerySet[ScreeningResponse]:
    return ScreeningResponse.objects.select_related(
        "template", "completed_by", "reviewed_by", "override_by", "session"
    )


def screening_checklist_data(*, screening_id: int, now: dt.datetime) -> ScreeningChecklistData:
    """Queries: the response with its template, people, session, course, patient and site (1)."""
    response = (
        _screenings().select_related("course__protocol", "patient", "site").get(pk=screening_id)
    )
    zone = response.site.zone
    return ScreeningChecklistData(
        site_name=response.site.name,
        zone_name=response.site.timezone,
        generated_at=now.astimezone(zone),
        patient_label=_patient(response).label,
        protocol=f"{response.course.protocol.name} (version {response.course.protocol.version})",
        screening=_screening_data(
            response, zone, response.session.number if response.session else None
        ),
    )


# --- session record -----------------------------------------------------------------------


def session_record_data(
    *, session_id: int, now: dt.datetime, answers_shown: bool
) -> SessionRecordData:
    """Queries: session, holds, screenings, parameters, record, checkpoints, entries,
    amendments, alerts (9). Without `answers_shown` (the reader's `patient_answers_visible`),
    no alert that quotes a patient's answer."""
    session = (
        Session.objects.select_related("course__protocol", "patient", "site")
        .prefetch_related(_holds())
        .get(pk=session_id)
    )
    zone = session.site.zone
    screenings = [
        _screening_data(r, zone, session.number if r.level == "session" else None)
        for r in _screenings()
        .filter(
            Q(course_id=session.course_id, level="course")
            | Q(session_id=session.pk, level="session")
        )
        .order_by("completed_at", "id")
    ]
    params = (
        TreatmentParameters.objects.select_related("recorded_by").filter(session=session).first()
    )
    record = (
        ObservationRecord.objects.select_related("template", "signed_by")
        .filter(session=session)
        .first()
    )
    values: list[ValueLine] = []
    amendments: list[AmendmentLine] = []
    missing: list[str] = []
    anchor = "No observation form opened."
    signed = ""
    if record is not None:
        spec = record.template.parsed
        checkpoints = {c.pk: c for c in ObservationCheckpoint.objects.filter(record=record)}
        entries = list(
            ObservationEntry.objects.filter(record=record)
            .select_related("recorded_by")
            .order_by("checkpoint__position", "field_key", "taken_at", "id")
        )
        by_id = {e.pk: e for e in entries}

        def label_of(cp: ObservationCheckpoint, key: str) -> str:
            definition = spec.checkpoint(cp.key)
            f = next((x for x in definition.fields if x.key == key), None) if definition else None
            return f.label + (f" ({f.unit})" if f and f.unit else "") if f else key

        def value_of(cp: ObservationCheckpoint, e: ObservationEntry) -> str:
            definition = spec.checkpoint(cp.key)
            f = (
                next((x for x in definition.fields if x.key == e.field_key), None)
                if definition
                else None
            )
            return _choice_text(f, e.value, zone) if f else _text(e.value, zone)

        for e in entries:
            cp = checkpoints[e.checkpoint_id]
            values.append(
                ValueLine(
                    checkpoint=cp.label,
                    due_at=cp.due_at.astimezone(zone),
                    field=label_of(cp, e.field_key),
                    value=value_of(cp, e),
                    taken_at=e.taken_at.astimezone(zone),
                    recorded_by=_person(e.recorded_by),
                    alert=e.alert_message,
                    superseded=e.superseded_by_id is not None,
                    timing=off_window_text(checkpoint_minutes_off(record, cp, e.taken_at)),
                )
            )
        for a in Amendment.objects.filter(record=record).select_related("amended_by"):
            original, replacement = by_id.get(a.original_id), by_id.get(a.replacement_id)
            if original is None or replacement is None:
                continue
            cp = checkpoints[original.checkpoint_id]
            amendments.append(
                AmendmentLine(
                    field=f"{cp.label}: {label_of(cp, original.field_key)}",
                    original=value_of(cp, original),
                    replacement=value_of(cp, replacement),
                    reason=a.reason,
                    by=_person(a.amended_by),
                    at=a.amended_at.astimezone(zone),
                )
            )
        taken = {(e.checkpoint_id, e.field_key) for e in entries if e.superseded_by_id is None}
        for cp in sorted(checkpoints.values(), key=lambda c: c.position):
            definition = spec.checkpoint(cp.key)
            if not cp.required or definition is None:
                continue
            absent = [
                f.label for f in definition.fields if f.required and (cp.pk, f.key) not in taken
            ]
            if absent:
                missing.append(
                    f"{cp.label} (due {cp.due_at.astimezone(zone):%H:%M}): {', '.join(absent)}"
                )
        what = "Dose" if spec.anchor == "dose" else "Procedure"
        anchor = (
            f"{what} time {record.anchor_at.astimezone(zone):%H:%M}; checkpoints count from it."
            if record.anchor_recorded
            else f"{what} time not recorded yet; checkpoints count from the session start."
        )
        if record.signed_at is not None:
            signed_at = record.signed_at.astimezone(zone)
            signed = f"{_person(record.signed_by)}, {signed_at:%a %d %b %Y %H:%M}"
    alerts = [
        (
            a.raised_at.astimezone(zone),
            a.message,
            f"{_person(a.acknowledged_by)}, {a.acknowledged_at.astimezone(zone):%d %b %H:%M}"
            + (f": {a.note}" if a.note else "")
            if a.acknowledged_at
            else "",
        )
        for a in _alerts_shown(Alert.objects.filter(session=session), answers_shown)
        .select_related("acknowledged_by")
        .order_by("raised_at", "id")
    ]
    return SessionRecordData(
        site_name=session.site.name,
        zone_name=session.site.timezone,
        generated_at=now.astimezone(zone),
        patient_label=_patient(session).label,
        protocol=f"{session.course.protocol.name} (version {session.course.protocol.version})",
        session_number=session.number,
        phase=session.phase,
        start=session.start.astimezone(zone),
        status=session.get_status_display(),
        resources=_resources(session),
        screenings=screenings,
        parameters=parameter_lines(params.values, zone) if params else [],
        parameters_by=(
            f"{_person(params.recorded_by)}, {params.recorded_at.astimezone(zone):%d %b %Y %H:%M}"
            if params
            else ""
        ),
        anchor=anchor,
        values=values,
        missing=missing,
        alerts=alerts,
        signed=signed,
        amendments=amendments,
    )


# --- blank forms --------------------------------------------------------------------------


def _blank_field(f: FormField) -> BlankField:
    return BlankField(
        label=f.label,
        type=f.type.value,
        unit=f.unit,
        choices=[c.label for c in f.choices],
        help=f.help,
    )


def blank_form_data(*, template: FormTemplate, site: Site, now: dt.datetime) -> BlankFormData:
    """No queries beyond the template and site the caller passes."""
    spec = template.parsed
    checkpoints = []
    for cp in spec.checkpoints:
        if cp.before_anchor:
            when = "before the dose" if spec.anchor == "dose" else "before the procedure"
        else:
            after = "the dose" if spec.anchor == "dose" else "the procedure"
            when = f"{cp.offset_minutes} min after {after}"
        checkpoints.append(BlankCheckpoint(cp.label, when, [_blank_field(f) for f in cp.fields]))
    return BlankFormData(
        site_name=site.name,
        zone_name=site.timezone,
        generated_at=now.astimezone(site.zone),
        name=template.name,
        slug=template.slug,
        version=template.version,
        kind=template.kind,
        description=spec.description,
        fields=[_blank_field(f) for f in spec.fields],
        checkpoints=checkpoints,
    )


# --- run sheet ----------------------------------------------------------------------------


def run_sheet_data(*, site: Site, day: dt.date, now: dt.datetime) -> RunSheetData:
    """Queries: sessions with patient and protocol, holds, session screenings, course
    screenings, templates (5), whatever the number of sessions."""
    zone = site.zone
    start, end = local_day_bounds(day, zone)
    sessions = list(
        Session.objects.filter(site_id=site.pk, start__gte=start, start__lt=end)
        .select_related("patient", "course__protocol")
        .prefetch_related(_holds())
        .order_by("start", "id")
    )
    session_ids = [s.pk for s in sessions]
    course_ids = {s.course_id for s in sessions}
    done_session = {
        r.session_id: r
        for r in ScreeningResponse.objects.filter(session_id__in=session_ids, level="session")
    }
    done_course = set(
        ScreeningResponse.objects.filter(course_id__in=course_ids, level="course").values_list(
            "course_id", flat=True
        )
    )
    slugs: set[str] = set()
    for s in sessions:
        forms = s.course.protocol.parsed.forms
        slugs.update(x for x in (forms.session_screening, forms.observation) if x)
    templates: dict[str, FormTemplate] = {}
    for t in FormTemplate.objects.filter(slug__in=slugs).order_by("slug", "version"):
        templates[t.slug] = t  # the newest version wins
    lines = []
    for s in sessions:
        forms = s.course.protocol.parsed.forms
        needs: list[str] = []
        if forms.course_screening and s.course_id not in done_course:
            needs.append("course screening due")
        screening = done_session.get(s.pk)
        if forms.session_screening:
            needs.append("screening done" if screening else "screening due")
        session_template = templates.get(forms.session_screening or "")
        if session_template is not None:
            keys = {f.key for f in session_template.parsed.fields}
            for key in RIDE_HOME_FIELDS:
                if key in keys:
                    answer = screening.answers.get(key) if screening else None
                    needs.append(
                        "ride home arranged"
                        if answer is True
                        else ("NO RIDE HOME" if answer is False else "ride home: confirm")
                    )
        observation = templates.get(forms.observation or "")
        if observation is not None:
            times = [
                f"{(s.start + dt.timedelta(minutes=cp.offset_minutes)).astimezone(zone):%H:%M}"
                for cp in observation.parsed.checkpoints
            ]
            if times:
                needs.append("checks ~" + ", ".join(times))
        if s.scales_due:
            needs.append("scales: " + ", ".join(scales_label(x) for x in s.scales_due))
        if s.status_reason:
            needs.append(s.status_reason)
        resources = _resources(s)
        lines.append(
            RunSheetLine(
                resource=resources[0] if resources else "No resource",
                start=s.start.astimezone(zone),
                end=s.end.astimezone(zone),
                observation_end=s.observation_end.astimezone(zone),
                patient=s.patient.full_name,
                mrn=s.patient.mrn,
                treatment=s.course.protocol.name,
                session_number=s.number,
                status=s.get_status_display(),
                needs=needs,
            )
        )
    return RunSheetData(
        site_name=site.name,
        zone_name=site.timezone,
        generated_at=now.astimezone(zone),
        day=day,
        lines=lines,
    )


# --- REMS monitoring form draft -----------------------------------------------------------


def rems_form_data(
    *, session: Session, template: FormTemplate | None, now: dt.datetime
) -> RemsFormData:
    """The monitoring form of an esketamine session: the queued item's prefill when there is
    one, else computed now from the record (values the record lacks stay blank)."""
    zone = session.site.zone
    item = (
        MonitoringFormItem.objects.select_related("template", "submitted_by")
        .filter(session=session)
        .first()
    )
    record = (
        ObservationRecord.objects.select_related("template", "signed_by")
        .filter(session=session)
        .first()
    )
    used: FormTemplate | None
    if item is not None:
        prefill, used = item.prefill, item.template
        status = (
            f"Submitted by {_person(item.submitted_by)} on "
            f"{item.submitted_at.astimezone(zone):%d %b %Y} ({item.get_submitted_how_display()})"
            if item.submitted_at
            else "Due"
        )
        due = item.due_date
    elif record is not None and record.template.parsed.report:
        prefill, used = monitoring_form_prefill(record), record.template
        status = "Not queued yet (queued when the session is completed)"
        due = None
    else:
        used = template
        prefill = [
            {"key": r.key, "label": r.label, "value": None}
            for r in (template.parsed.report if template else [])
        ]
        status = "No observation recorded yet"
        due = None
    return RemsFormData(
        site_name=session.site.name,
        zone_name=session.site.timezone,
        generated_at=now.astimezone(zone),
        patient_label=_patient(session).label,
        session_number=session.number,
        session_date=session.start.astimezone(zone).date(),
        template_name=used.name if used else "No monitoring form template",
        template_version=used.version if used else 0,
        due_date=due,
        status=status,
        fields=[
            RemsFieldLine(
                p["label"],
                "" if p["value"] is None else _text(p["value"], zone),
                p.get("note", ""),
            )
            for p in prefill
        ],
    )


def rems_template_for(*, session: Session) -> FormTemplate:
    """The newest version of the observation template of the session's protocol, when it has a
    REMS report; 404 `monitoring_form_not_applicable` otherwise (not esketamine)."""
    slug = session.course.protocol.parsed.forms.observation
    template = FormTemplate.objects.filter(slug=slug).order_by("-version").first() if slug else None
    if template is None or not template.parsed.report:
        raise NotFound(
            "This session's protocol has no REMS monitoring form.",
            code="monitoring_form_not_applicable",
        )
    return template


# --- stored run sheets (the evening job) --------------------------------------------------

STORED_RUN_SHEETS_LISTED = 30


def stored_run_sheet_list(*, site: Site) -> list[tuple[RunSheet, int]]:
    """The site's stored run sheets with their size in bytes (the PDF itself not loaded),
    newest day first, the last STORED_RUN_SHEETS_LISTED."""
    rows = (
        RunSheet.objects.filter(site=site)
        .defer("pdf")
        .annotate(size=Length("pdf"))
        .order_by("-day")[:STORED_RUN_SHEETS_LISTED]
    )
    return [(r, r.size) for r in rows]


def stored_run_sheet_get(*, site: Site, day: dt.date) -> RunSheet:
    """The run sheet stored for the site and day; 404 `run_sheet_not_found`."""
    sheet = RunSheet.objects.filter(site=site, day=day).first()
    if sheet is None:
        raise NotFound(f"No run sheet stored for {day}.", code="run_sheet_not_found")
    return sheet
