"""The charting API's schemas of the records (screening, observation, parameters, scales,
monitoring forms, documents); those of measurement-based care between sessions are in
charting/api/patient_report_schemas.py. OpenAPI keys schemas by name, so two with one name
would overwrite each other: a name is used once across both modules (the OpenAPI snapshot test
shows an overwrite). Every Out schema lists its fields (never __all__)."""

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
