"""Charting API, mounted at /api/v1/charting (see docs/api/charting.md).

Handlers are thin: load the object within the caller's sites (404 otherwise), call one service,
return an explicit Out schema. Role rules live in the services; reads need any staff role.
Nothing clinical is deletable: there are no DELETE routes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict

from charting import scoring, services
from charting.models import (
    Alert,
    FormTemplate,
    MonitoringFormItem,
    ObservationRecord,
    ScaleAdministration,
    ScreeningResponse,
    TreatmentParameters,
)
from clinic.api import ErrorOut
from clinic.errors import DomainError, NotFound
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER
from clinic.permissions import filter_sites, require_role
from clinic.schemas import AwareInstant, Id, InSchema
from scheduling.models import Course, Session

router = Router(tags=["charting"])
routers: list[tuple[str, Router]] = [("/charting", router)]

_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)
# Django slug characters: anything else (a NUL byte) cannot name a template, so it is a 422.
TemplateSlug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", max_length=64)]


class _In(InSchema):
    # Unknown keys are refused (422): a misspelt field must not be silently dropped. InSchema
    # refuses text PostgreSQL cannot store (NUL, lone surrogates) with a 422 rather than a 500.
    model_config = ConfigDict(extra="forbid")


# --- loading within the caller's sites ----------------------------------------------------------


def _reader(request: HttpRequest) -> Any:
    require_role(request.user, *READ_ROLES, action="read charts")
    return request.user


def _get(request: HttpRequest, queryset: QuerySet, pk: int, code: str, what: str) -> Any:
    _reader(request)
    obj = filter_sites(queryset, request.user).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No {what} {pk}.", code=code)
    return obj


def _session(request: HttpRequest, pk: int) -> Session:
    qs = Session.objects.select_related("course__protocol", "site", "patient")
    return _get(request, qs, pk, "session_not_found", "session")


def _course(request: HttpRequest, pk: int) -> Course:
    qs = Course.objects.select_related("protocol", "site")
    return _get(request, qs, pk, "course_not_found", "course")


def _record(request: HttpRequest, pk: int) -> ObservationRecord:
    qs = ObservationRecord.objects.select_related("template", "session__course", "site")
    return _get(request, qs, pk, "observation_not_found", "observation record")


# --- schemas ------------------------------------------------------------------------------------


class TemplateSummaryOut(Schema):
    slug: str
    version: int
    name: str
    kind: str
    modality: str
    builtin: bool


class TemplateOut(TemplateSummaryOut):
    spec: dict[str, Any]


class FlagOut(Schema):
    key: str
    message: str


class ScreeningOut(Schema):
    id: int
    level: str
    template: str
    template_version: int
    course_id: int
    session_id: int | None
    answers: dict[str, Any]
    status: str
    blocking: bool
    hard_stops: list[FlagOut]
    review_items: list[FlagOut]
    completed_by: str
    completed_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str
    override_by: str | None
    override_at: dt.datetime | None
    override_reason: str


class EntryOut(Schema):
    id: int
    field: str
    value: Any
    taken_at: dt.datetime
    recorded_by: str
    recorded_at: dt.datetime
    alert: str
    superseded: bool
    is_amendment: bool


class CheckpointOut(Schema):
    key: str
    label: str
    offset_minutes: int
    before_anchor: bool
    required: bool
    discharge: bool
    due_at: dt.datetime
    complete: bool
    overdue: bool
    missing: list[str]
    entries: list[EntryOut]


class AmendmentOut(Schema):
    id: int
    checkpoint: str
    field: str
    original_value: Any
    new_value: Any
    reason: str
    amended_by: str
    amended_at: dt.datetime


class AlertOut(Schema):
    id: int
    kind: str
    message: str
    course_id: int
    session_id: int | None
    record_id: int | None
    scale_id: int | None
    raised_at: dt.datetime
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    note: str


class ObservationOut(Schema):
    id: int
    session_id: int
    template: str
    template_version: int
    anchor: str
    anchor_at: dt.datetime
    anchor_recorded: bool
    minimum_observation_minutes: int
    earliest_discharge: dt.datetime
    status: str
    signed_by: str | None
    signed_at: dt.datetime | None
    checkpoints: list[CheckpointOut]
    alerts: list[AlertOut]
    amendments: list[AmendmentOut]


class ParametersOut(Schema):
    session_id: int
    modality: str
    values: dict[str, Any]
    flags: list[str]
    recorded_by: str
    recorded_at: dt.datetime


class GateOut(Schema):
    allowed: bool
    code: str | None
    message: str | None


class SessionChartOut(Schema):
    session_id: int
    status: str
    modality: str
    course_screening_form: str | None
    session_screening_form: str | None
    observation_form: str | None
    course_screening: ScreeningOut | None
    session_screening: ScreeningOut | None
    observation_id: int | None
    observation_status: str | None
    parameters: ParametersOut | None
    open_alerts: list[AlertOut]
    check_in: GateOut
    start: GateOut
    complete: GateOut


class ScaleItemOut(Schema):
    key: str
    text: str
    max: int


class BandOut(Schema):
    low: int
    high: int
    label: str


class ScaleDefOut(Schema):
    name: str
    title: str
    rater: str
    instructions: str
    answer_labels: list[str]
    items: list[ScaleItemOut]
    bands: list[BandOut]
    remission_max: int


class ScaleOut(Schema):
    id: int
    course_id: int
    session_id: int | None
    scale: str
    items: dict[str, int]
    total: int
    band: str
    safety_positive: bool
    administered_at: dt.datetime
    recorded_by: str


class OutcomeOut(Schema):
    scale: str
    baseline: int | None
    latest: int | None
    latest_band: str | None
    trajectory: list[int]
    change_pct: float | None
    response: bool
    remission: bool
    administrations: list[ScaleOut]


class PrefillOut(Schema):
    key: str
    label: str
    value: Any


class MonitoringFormOut(Schema):
    id: int
    session_id: int
    course_id: int
    patient_id: int
    patient_name: str
    session_date: dt.date
    due_date: dt.date
    due_state: str
    days_left: int
    status: str
    prefill: list[PrefillOut]
    submitted_by: str | None
    submitted_at: dt.datetime | None
    submitted_how: str
    reference: str


class AnswersIn(_In):
    answers: dict[str, Any]


class OverrideIn(_In):
    reason: str


class NoteIn(_In):
    note: str = ""


class AnchorIn(_In):
    at: AwareInstant


class EntriesIn(_In):
    checkpoint: str
    taken_at: AwareInstant
    values: dict[str, Any]


class AmendIn(_In):
    checkpoint: str
    field: str
    value: Any
    reason: str


class ParametersIn(_In):
    values: dict[str, Any]


class ScaleIn(_In):
    scale: str
    items: dict[str, Any]
    administered_at: AwareInstant
    session_id: int | None = None


class SubmitIn(_In):
    how: Literal["online", "fax", "phone", "other"]
    reference: str = ""
    submitted_at: AwareInstant | None = None


class MonitoringFilter(InSchema):
    status: Literal["open", "submitted", "all"] = "open"
    soon_days: int = 2


class AlertFilter(InSchema):
    open: bool = True
    session_id: Id | None = None
    course_id: Id | None = None


# --- builders (explicit fields, never __all__) --------------------------------------------------


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


# --- templates ----------------------------------------------------------------------------------


@router.get("/templates", response={200: list[TemplateSummaryOut], **_ERRORS})
def list_templates(request: HttpRequest):
    _reader(request)
    return [
        {
            "slug": t.slug,
            "version": t.version,
            "name": t.name,
            "kind": t.kind,
            "modality": t.modality,
            "builtin": t.builtin,
        }
        for t in FormTemplate.objects.order_by("slug", "-version")
    ]


@router.get("/templates/{slug}", response={200: TemplateOut, **_ERRORS})
def get_template(request: HttpRequest, slug: TemplateSlug, version: int | None = None):
    """The newest version of a template (or `?version=`), with its full spec."""
    _reader(request)
    qs = FormTemplate.objects.filter(slug=slug)
    t = (qs.filter(version=version) if version else qs.order_by("-version")).first()
    if t is None:
        raise NotFound(f"No form template {slug!r}.", code="template_not_found")
    return {
        "slug": t.slug,
        "version": t.version,
        "name": t.name,
        "kind": t.kind,
        "modality": t.modality,
        "builtin": t.builtin,
        "spec": t.spec,
    }


# --- session overview ---------------------------------------------------------------------------


@router.get("/sessions/{session_id}", response={200: SessionChartOut, **_ERRORS})
def session_chart(request: HttpRequest, session_id: int):
    """Charting status of a session: screenings, observation, parameters, open alerts, and
    whether check-in, start and completion are allowed (and if not, why)."""
    from charting import gates

    session = _session(request, session_id)
    forms = session.course.protocol.parsed.forms
    course_s = ScreeningResponse.objects.filter(course_id=session.course_id, level="course").first()
    session_s = ScreeningResponse.objects.filter(session=session, level="session").first()
    record = ObservationRecord.objects.filter(session=session).first()
    params = TreatmentParameters.objects.filter(session=session).first()
    alerts = Alert.objects.filter(session=session, acknowledged_at__isnull=True)
    return {
        "session_id": session.pk,
        "status": session.status,
        "modality": session.course.modality,
        "course_screening_form": forms.course_screening,
        "session_screening_form": forms.session_screening,
        "observation_form": forms.observation,
        "course_screening": _screening_out(course_s) if course_s else None,
        "session_screening": _screening_out(session_s) if session_s else None,
        "observation_id": record.pk if record else None,
        "observation_status": record.status if record else None,
        "parameters": _parameters_out(params) if params else None,
        "open_alerts": [_alert_out(a) for a in alerts],
        "check_in": _gate(gates.check_in_allowed, session),
        "start": _gate(gates.start_allowed, session),
        "complete": _gate(gates.complete_allowed, session),
    }


# --- screening ----------------------------------------------------------------------------------


@router.post("/courses/{course_id}/screening", response={201: ScreeningOut, **_ERRORS})
def submit_course_screening(request: HttpRequest, course_id: int, payload: AnswersIn):
    course = _course(request, course_id)
    s = services.course_screening_submit(course=course, answers=payload.answers, by=request.user)
    return Status(201, _screening_out(s))


@router.get("/courses/{course_id}/screening", response={200: ScreeningOut, **_ERRORS})
def get_course_screening(request: HttpRequest, course_id: int):
    course = _course(request, course_id)
    s = ScreeningResponse.objects.filter(course=course, level="course").first()
    if s is None:
        raise NotFound("The course screening has not been completed.", code="screening_not_found")
    return _screening_out(s)


@router.post("/sessions/{session_id}/screening", response={201: ScreeningOut, **_ERRORS})
def submit_session_screening(request: HttpRequest, session_id: int, payload: AnswersIn):
    session = _session(request, session_id)
    s = services.session_screening_submit(session=session, answers=payload.answers, by=request.user)
    return Status(201, _screening_out(s))


@router.get("/sessions/{session_id}/screening", response={200: ScreeningOut, **_ERRORS})
def get_session_screening(request: HttpRequest, session_id: int):
    session = _session(request, session_id)
    s = ScreeningResponse.objects.filter(session=session, level="session").first()
    if s is None:
        raise NotFound("The session screening has not been completed.", code="screening_not_found")
    return _screening_out(s)


def _screening(request: HttpRequest, pk: int) -> ScreeningResponse:
    qs = ScreeningResponse.objects.select_related("template")
    return _get(request, qs, pk, "screening_not_found", "screening")


@router.post("/screenings/{screening_id}/override", response={200: ScreeningOut, **_ERRORS})
def override_screening(request: HttpRequest, screening_id: int, payload: OverrideIn):
    """Clinician only: clear a hard stop with a reason (who and when are recorded)."""
    s = _screening(request, screening_id)
    s = services.screening_override(screening=s, reason=payload.reason, by=request.user)
    return _screening_out(s)


@router.post("/screenings/{screening_id}/review", response={200: ScreeningOut, **_ERRORS})
def review_screening(request: HttpRequest, screening_id: int, payload: NoteIn):
    """Clinician only: mark the items flagged for review as reviewed."""
    s = _screening(request, screening_id)
    s = services.screening_review(screening=s, note=payload.note, by=request.user)
    return _screening_out(s)


# --- observation --------------------------------------------------------------------------------


@router.get("/sessions/{session_id}/observation", response={200: ObservationOut, **_ERRORS})
def get_session_observation(request: HttpRequest, session_id: int):
    session = _session(request, session_id)
    record = ObservationRecord.objects.filter(session=session).first()
    if record is None:
        raise NotFound(
            "No observation record: it opens when the session starts.",
            code="observation_not_found",
        )
    return _observation_out(record)


@router.get("/observations/{record_id}", response={200: ObservationOut, **_ERRORS})
def get_observation(request: HttpRequest, record_id: int):
    return _observation_out(_record(request, record_id))


@router.post("/observations/{record_id}/anchor", response={200: ObservationOut, **_ERRORS})
def set_anchor(request: HttpRequest, record_id: int, payload: AnchorIn):
    """Record the actual dose/procedure time; checkpoint due times are recomputed from it."""
    record = services.observation_set_anchor(
        record=_record(request, record_id), at=payload.at, by=request.user
    )
    return _observation_out(record)


@router.post("/observations/{record_id}/entries", response={201: ObservationOut, **_ERRORS})
def record_entries(request: HttpRequest, record_id: int, payload: EntriesIn):
    """Record values taken at a checkpoint (some or all of its fields)."""
    record = _record(request, record_id)
    services.observation_record_values(
        record=record,
        checkpoint=payload.checkpoint,
        values=payload.values,
        taken_at=payload.taken_at,
        by=request.user,
    )
    return Status(201, _observation_out(record))


@router.post("/observations/{record_id}/sign", response={200: ObservationOut, **_ERRORS})
def sign_observation(request: HttpRequest, record_id: int):
    """Sign the discharge: refused too early or with a required checkpoint value missing."""
    record = services.observation_sign(record=_record(request, record_id), by=request.user)
    return _observation_out(record)


@router.post("/observations/{record_id}/amendments", response={201: ObservationOut, **_ERRORS})
def amend_observation(request: HttpRequest, record_id: int, payload: AmendIn):
    """Correct a value on a signed record, with a reason; the original stays visible."""
    record = _record(request, record_id)
    services.observation_amend(
        record=record,
        checkpoint=payload.checkpoint,
        field=payload.field,
        value=payload.value,
        reason=payload.reason,
        by=request.user,
    )
    return Status(201, _observation_out(record))


# --- treatment parameters -----------------------------------------------------------------------


@router.get("/sessions/{session_id}/parameters", response={200: ParametersOut, **_ERRORS})
def get_parameters(request: HttpRequest, session_id: int):
    session = _session(request, session_id)
    p = TreatmentParameters.objects.filter(session=session).first()
    if p is None:
        raise NotFound("No parameters recorded for this session.", code="parameters_not_found")
    return _parameters_out(p)


@router.put("/sessions/{session_id}/parameters", response={200: ParametersOut, **_ERRORS})
def put_parameters(request: HttpRequest, session_id: int, payload: ParametersIn):
    """Record what was delivered (shape by modality; see docs/api/charting.md)."""
    session = _session(request, session_id)
    p = services.parameters_record(session=session, values=payload.values, by=request.user)
    return _parameters_out(p)


# --- outcome scales -----------------------------------------------------------------------------


@router.get("/scales", response={200: list[ScaleDefOut], **_ERRORS})
def list_scales(request: HttpRequest):
    _reader(request)
    return [
        {
            "name": s.name,
            "title": s.title,
            "rater": s.rater,
            "instructions": s.instructions,
            "answer_labels": list(s.answer_labels),
            "items": [{"key": i.key, "text": i.text, "max": i.max} for i in s.items],
            "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in s.bands],
            "remission_max": s.remission_max,
        }
        for s in scoring.SCALES.values()
    ]


@router.post("/courses/{course_id}/scales", response={201: ScaleOut, **_ERRORS})
def record_scale(request: HttpRequest, course_id: int, payload: ScaleIn):
    course = _course(request, course_id)
    session = None
    if payload.session_id is not None:
        session = Session.objects.filter(pk=payload.session_id, course=course).first()
        if session is None:
            raise NotFound(
                f"No session {payload.session_id} in this course.", code="session_not_found"
            )
    row = services.scale_record(
        course=course,
        scale=payload.scale,
        items=payload.items,
        administered_at=payload.administered_at,
        session=session,
        by=request.user,
    )
    return Status(201, _scale_out(row))


@router.get("/courses/{course_id}/outcomes", response={200: list[OutcomeOut], **_ERRORS})
def course_outcomes(request: HttpRequest, course_id: int):
    """Per scale: baseline (first administration), trajectory, response and remission."""
    course = _course(request, course_id)
    return [
        {
            "scale": o.scale,
            "baseline": o.baseline,
            "latest": o.latest,
            "latest_band": o.latest_band,
            "trajectory": list(o.trajectory),
            "change_pct": o.change_pct,
            "response": o.response,
            "remission": o.remission,
            "administrations": [_scale_out(r) for r in rows],
        }
        for o, rows in services.course_outcomes(course)
    ]


# --- alerts -------------------------------------------------------------------------------------


@router.get("/alerts", response={200: list[AlertOut], **_ERRORS})
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]):
    _reader(request)
    qs = filter_sites(Alert.objects.select_related("acknowledged_by"), request.user)
    if filters.open:
        qs = qs.filter(acknowledged_at__isnull=True)
    if filters.session_id is not None:
        qs = qs.filter(session_id=filters.session_id)
    if filters.course_id is not None:
        qs = qs.filter(course_id=filters.course_id)
    return [_alert_out(a) for a in qs[:500]]


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **_ERRORS})
def acknowledge_alert(request: HttpRequest, alert_id: int, payload: NoteIn):
    """Clinician only. A safety alert (PHQ-9 item 9) needs a note of the assessment."""
    alert = _get(request, Alert.objects.all(), alert_id, "alert_not_found", "alert")
    alert = services.alert_acknowledge(alert=alert, note=payload.note, by=request.user)
    return _alert_out(alert)


# --- esketamine monitoring forms ----------------------------------------------------------------


@router.get("/monitoring-forms", response={200: list[MonitoringFormOut], **_ERRORS})
def list_monitoring_forms(request: HttpRequest, filters: Query[MonitoringFilter]):
    """REMS monitoring forms: open ones (default) with due_soon / overdue, oldest due first."""
    _reader(request)
    qs = filter_sites(
        MonitoringFormItem.objects.select_related("patient", "session", "site", "submitted_by"),
        request.user,
    )
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    now = timezone.now()
    return [_monitoring_out(i, now, filters.soon_days) for i in qs.order_by("due_date", "id")]


def _monitoring(request: HttpRequest, pk: int) -> MonitoringFormItem:
    qs = MonitoringFormItem.objects.select_related("patient", "session", "site")
    return _get(request, qs, pk, "monitoring_form_not_found", "monitoring form")


@router.get("/monitoring-forms/{item_id}", response={200: MonitoringFormOut, **_ERRORS})
def get_monitoring_form(request: HttpRequest, item_id: int):
    return _monitoring_out(_monitoring(request, item_id), timezone.now(), 2)


@router.post("/monitoring-forms/{item_id}/submit", response={200: MonitoringFormOut, **_ERRORS})
def submit_monitoring_form(request: HttpRequest, item_id: int, payload: SubmitIn):
    """Mark the form submitted to the REMS: who (the caller), when, how and a reference."""
    item = services.monitoring_form_submit(
        item=_monitoring(request, item_id),
        how=payload.how,
        reference=payload.reference,
        submitted_at=payload.submitted_at,
        by=request.user,
    )
    return _monitoring_out(
        MonitoringFormItem.objects.select_related("patient", "session", "site").get(pk=item.pk),
        timezone.now(),
        2,
    )
