"""The charting API's schemas, in one module: OpenAPI keys schemas by name, so two with one
name would overwrite each other. Every Out schema lists its fields (never __all__)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from charting.rems_due import DUE_WITHIN_DAYS
from clinic.api.fields import (
    DIGITS,
    AwareInstant,
    CalendarDay,
    DayHours,
    Id,
    InSchema,
    Int,
    QueryIn,
)
from clinic.api.schemas import ErrorOut

# The errors any charting operation can return (403 role, 404 not at your sites, 409 state,
# 422 input).
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# A document changes nothing, so it has no 409.
DOCUMENT_ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class StrictIn(InSchema):
    # Unknown keys are refused (422): a misspelt field must not be silently dropped. InSchema
    # refuses text PostgreSQL cannot store (NUL, lone surrogates) with a 422 rather than a 500.
    model_config = ConfigDict(extra="forbid")


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
    # Minutes outside the checkpoint's window (positive late, negative early, 0 on time).
    off_window_minutes: int
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
    severity: str
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
    cosigned_by: str | None
    cosign_reason: str
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
    # "patient": the patient's own report from their link (recorded_by is then empty).
    source: Literal["staff", "patient"]
    recorded_by: str | None
    # A clinician marked this score as the course's baseline, and why ("" when not marked).
    baseline_reason: str
    baseline_marked_by: str | None
    baseline_marked_at: dt.datetime | None


class OutcomeOut(Schema):
    scale: str
    # The scale taken before or at the first session, or one a clinician marked; None (and
    # no change, response or remission) when the scale was first taken later.
    baseline: int | None
    baseline_id: int | None
    latest: int | None
    latest_band: str | None
    trajectory: list[int]
    change_pct: float | None
    response: bool | None
    remission: bool | None
    administrations: list[ScaleOut]


class PrefillOut(Schema):
    key: str
    label: str
    value: Any
    # "late by 285 min" when the value comes from a checkpoint taken outside its window.
    note: str = ""


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


class AnswersIn(StrictIn):
    answers: dict[str, Any]


class OverrideIn(StrictIn):
    reason: str


class NoteIn(StrictIn):
    note: str = ""


class SignIn(StrictIn):
    # A clinician signing over an unacknowledged severe alert says why.
    cosign_reason: str = Field("", max_length=1000)


class AnchorIn(StrictIn):
    at: AwareInstant


class EntriesIn(StrictIn):
    checkpoint: str
    taken_at: AwareInstant
    values: dict[str, Any]


class AmendIn(StrictIn):
    checkpoint: str
    field: str
    value: Any
    reason: str


class ParametersIn(StrictIn):
    values: dict[str, Any]


class ScaleIn(StrictIn):
    scale: str
    items: dict[str, Any]
    administered_at: AwareInstant
    session_id: int | None = None


class BaselineMarkIn(StrictIn):
    reason: str


class SubmitIn(StrictIn):
    how: Literal["online", "fax", "phone", "other"]
    reference: str = ""
    submitted_at: AwareInstant | None = None


class MonitoringFilter(QueryIn):
    status: Literal["open", "submitted", "all"] = "open"
    soon_days: Int = DUE_WITHIN_DAYS


class AlertFilter(QueryIn):
    open: bool = True
    session_id: Id | None = None
    course_id: Id | None = None


# --- documents ---------------------------------------------------------------------------------


class DayQuery(Schema):
    date: CalendarDay | None = None


class BlankQuery(Schema):
    version: Annotated[int, Field(ge=1, le=1_000_000), DIGITS] | None = None
    site_id: Annotated[int, Field(ge=1, le=2**53), DIGITS] | None = None


class RunSheetOut(Schema):
    id: int
    site_id: int
    day: dt.date
    session_count: int
    generated_at: dt.datetime
    size_bytes: int
    download: str


# --- measurement-based care between sessions (CLINICAL.md §6) ---------------------------------


class DuePointOut(Schema):
    scale: str
    session_number: int
    opens_on: dt.date
    closes_on: dt.date
    baseline: bool
    state: Literal["upcoming", "due", "in_progress", "submitted", "recorded_in_clinic", "missed"]


class SelfReportOut(Schema):
    id: int
    course_id: int
    scale: str
    session_number: int
    status: Literal["draft", "submitted"]
    answers: dict[str, int]
    total: int | None
    band: str | None
    safety_positive: bool
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    source: Literal["patient"]


class CheckinOut(Schema):
    id: int
    course_id: int
    day: dt.date
    # Empty only on an old record that never had one (not charted).
    mood: int | None
    sleep_hours: DayHours
    side_effects: dict[str, str]
    note: str
    submitted_at: dt.datetime
    updated_at: dt.datetime


class CheckinSettingIn(StrictIn):
    enabled: bool


class CheckinSettingOut(Schema):
    course_id: int
    enabled: bool
    source: Literal["course", "site"]


class EarlyReviewOut(Schema):
    id: int
    course_id: int
    patient_id: int
    scale: str
    at_session: int
    baseline_total: int
    measured_total: int
    improvement_percent: float | None
    threshold_percent: int
    evidence: str
    citation: str
    url: str
    status: Literal["open", "not_needed", "decided"]
    raised_at: dt.datetime
    decision: str
    note: str
    decided_by: str | None
    decided_at: dt.datetime | None
    next_step: str


class DecisionIn(StrictIn):
    decision: Literal["continue", "change_protocol_or_target", "extend", "stop"]
    note: str


class ReviewFilter(QueryIn):
    open: bool = True


class ScorePointOut(Schema):
    date: dt.date
    total: int
    source: Literal["patient", "staff"]
    session_number: int | None


class SeriesOut(Schema):
    scale: str
    title: str
    rater: Literal["self", "clinician"]
    max_total: int
    baseline: int | None
    response_line: float | None
    remission_max: int
    points: list[ScorePointOut]


class MoodPointOut(Schema):
    date: dt.date
    mood: int


class TrajectoryOut(Schema):
    course_id: int
    series: list[SeriesOut]
    mood: list[MoodPointOut]
    early_review: EarlyReviewOut | None


class SitePatientSettingsIn(StrictIn):
    crisis_resources: str
    callback_promise: str
    daily_checkin_default: bool = False


class SitePatientSettingsOut(Schema):
    site_id: int
    crisis_resources: list[str]
    callback_promise: str
    daily_checkin_default: bool


# The patient's own view (authenticated by their link token only).


class PatientItemOut(Schema):
    key: str
    text: str
    max: int


class PatientQuestionnaireOut(Schema):
    scale: str
    title: str
    instructions: str
    answer_labels: list[str]
    items: list[PatientItemOut]
    session_number: int
    state: Literal["upcoming", "due", "in_progress", "submitted", "recorded_in_clinic", "missed"]
    opens_on: dt.date
    closes_on: dt.date
    answers: dict[str, int]


class CrisisOut(Schema):
    resources: list[str]
    callback_promise: str


class PatientCourseOut(Schema):
    course_id: int
    status: str
    questionnaires: list[PatientQuestionnaireOut]
    checkin_enabled: bool
    checkin_side_effects: list[PatientItemOut]
    today_checkin: CheckinOut | None


class AnswerIn(StrictIn):
    value: int


class SelfReportSubmitIn(StrictIn):
    answers: dict[str, Any] | None = None


class PatientReportResultOut(Schema):
    scale: str
    session_number: int
    status: Literal["draft", "submitted"]
    answers: dict[str, int]
    total: int | None
    band: str | None
    already_submitted: bool
    # Shown at once when an answer signals risk (PHQ-9 item 9 above 0).
    crisis: CrisisOut | None


class CheckinIn(StrictIn):
    mood: int
    sleep_hours: DayHours
    side_effects: dict[str, str] = {}
    note: str = ""


class PatientTrajectoryOut(Schema):
    course_id: int
    series: list[SeriesOut]
    mood: list[MoodPointOut]
