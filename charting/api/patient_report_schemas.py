"""The charting API's schemas of measurement-based care between sessions (CLINICAL.md §6):
self-reports, daily check-ins, early reviews, trajectories, a site's patient settings, and the
patient's own view. The schemas of the records are in charting/api/schemas.py; a name is used
once across both modules (OpenAPI keys schemas by name). Every Out schema lists its fields
(never __all__)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema

from charting.api.schemas import StrictIn
from clinic.api.fields import DayHours, QueryIn


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
