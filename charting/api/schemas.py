"""The charting API's schemas, in one module: OpenAPI keys schemas by name, so two with one
name would overwrite each other. Every Out schema lists its fields (never __all__)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict

from clinic.api.fields import AwareInstant, Id, InSchema
from clinic.api.schemas import ErrorOut

# The errors any charting operation can return (403 role, 404 not at your sites, 409 state,
# 422 input).
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


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


class AnswersIn(StrictIn):
    answers: dict[str, Any]


class OverrideIn(StrictIn):
    reason: str


class NoteIn(StrictIn):
    note: str = ""


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


class SubmitIn(StrictIn):
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
