"""The typed form template format: screening checklists and timed observation forms, as data.

Pure (pydantic, no ORM). A template is validated like a protocol spec: `parse_template` raises
`TemplateError` listing one "path: message" per problem (``checkpoints[1].fields[0].limits:
only number fields have limits``). The format is documented in docs/charting.md.

Answers to a template's fields are cleaned and judged in charting/answers.py.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocols.spec import Modality, Source, format_errors

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Answer = bool | str


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt "hard_stop_wen" must not silently disable a hard stop.
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldType(StrEnum):
    YES_NO = "yes_no"
    NUMBER = "number"
    BLOOD_PRESSURE = "blood_pressure"
    CHOICE = "choice"
    TEXT = "text"
    TIME = "time"


class Limits(_Strict):
    """Hard bounds (`min`/`max`: outside is impossible, rejected), an alert range
    (`alert_below`/`alert_above`: accepted but flagged) and a severe range
    (`severe_below`/`severe_above`: the alert is severe, so it must be acknowledged with a note
    before the discharge is signed)."""

    min: float | None = None
    max: float | None = None
    alert_below: float | None = None
    alert_above: float | None = None
    severe_below: float | None = None
    severe_above: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Limits:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("max: must be at least min")
        if (
            self.severe_above is not None
            and self.alert_above is not None
            and self.severe_above < self.alert_above
        ):
            raise ValueError("severe_above: must be at least alert_above")
        if (
            self.severe_below is not None
            and self.alert_below is not None
            and self.severe_below > self.alert_below
        ):
            raise ValueError("severe_below: must be at most alert_below")
        for name in ("alert_below", "alert_above", "severe_below", "severe_above"):
            value = getattr(self, name)
            if value is None:
                continue
            if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max
            ):
                raise ValueError(f"{name}: must lie within min..max")
        return self


# Physiologically impossible blood pressures, used when a template gives none: systolic 300 or
# diastolic 10 is a typing error, not a reading.
DEFAULT_SYSTOLIC = Limits(min=50, max=260)
DEFAULT_DIASTOLIC = Limits(min=20, max=160)


class Choice(_Strict):
    value: Key
    label: Annotated[str, Field(min_length=1, max_length=200)]


class FormField(_Strict):
    key: Key
    label: Annotated[str, Field(min_length=1, max_length=300)]
    type: FieldType
    unit: str = ""
    required: bool = True
    help: str = ""
    integer: bool = False
    limits: Limits | None = None
    systolic: Limits | None = None
    diastolic: Limits | None = None
    choices: list[Choice] = []
    max_length: Annotated[int, Field(ge=1, le=5000)] = 1000
    # Answers (true/false for yes_no, a choice value for choice) that trigger each flag.
    hard_stop_when: list[Answer] = []
    review_when: list[Answer] = []
    alert_when: list[Answer] = []
    # Answers whose alert is severe (an answer here alerts even when not in alert_when).
    severe_when: list[Answer] = []
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> FormField:
        self._check_type_options()
        self._check_flag_answers()
        return self

    def _check_type_options(self) -> None:
        # limits, integer, systolic/diastolic and choices belong to one field type each.
        t = self.type
        if self.limits is not None and t != FieldType.NUMBER:
            raise ValueError("limits: only number fields have limits")
        if self.integer and t != FieldType.NUMBER:
            raise ValueError("integer: only number fields can be integer")
        if (self.systolic or self.diastolic) and t != FieldType.BLOOD_PRESSURE:
            raise ValueError("systolic: only blood_pressure fields have systolic/diastolic limits")
        if t == FieldType.CHOICE:
            if not self.choices:
                raise ValueError("choices: a choice field needs at least one choice")
            values = [c.value for c in self.choices]
            if len(set(values)) != len(values):
                raise ValueError("choices: values must be unique")
        elif self.choices:
            raise ValueError("choices: only choice fields have choices")

    def _check_flag_answers(self) -> None:
        # The answers that raise a flag are answers the field can have.
        t = self.type
        for name in ("hard_stop_when", "review_when", "alert_when", "severe_when"):
            answers = getattr(self, name)
            if not answers:
                continue
            if t == FieldType.YES_NO:
                if not all(isinstance(a, bool) for a in answers):
                    raise ValueError(f"{name}: yes_no answers are true or false")
            elif t == FieldType.CHOICE:
                known = {c.value for c in self.choices}
                bad = [a for a in answers if not isinstance(a, str) or a not in known]
                if bad:
                    raise ValueError(f"{name}: {bad[0]!r} is not one of the choices")
            else:
                raise ValueError(f"{name}: only yes_no and choice fields flag answers")

    @property
    def systolic_limits(self) -> Limits:
        return self.systolic or DEFAULT_SYSTOLIC

    @property
    def diastolic_limits(self) -> Limits:
        return self.diastolic or DEFAULT_DIASTOLIC


# A before-dose checkpoint (vital signs before the first device) is normally taken within the
# hour before; a timed one within a quarter of its offset, at least 15 minutes, either side.
BEFORE_ANCHOR_WINDOW_MINUTES = 60
MIN_WINDOW_MINUTES = 15


class Checkpoint(_Strict):
    """A timed point of an observation form, due `offset_minutes` after the anchor (the
    recorded dose or procedure time; 0 with `before_anchor` means just before it).

    `window_minutes`: how far from its due time a reading still counts as on time (default:
    `window` below). A reading outside it is stored and marked late or early. The discharge
    checkpoint has no window: it is due no sooner than the minimum, and later is allowed.
    """

    key: Key
    label: Annotated[str, Field(min_length=1, max_length=200)]
    offset_minutes: Annotated[int, Field(ge=0, le=1440)]
    window_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    before_anchor: bool = False
    required: bool = True
    discharge: bool = False
    description: str = ""
    fields: Annotated[list[FormField], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Checkpoint:
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError("fields: keys must be unique within a checkpoint")
        if self.before_anchor and self.offset_minutes != 0:
            raise ValueError("offset_minutes: must be 0 for a before_anchor checkpoint")
        if self.discharge and self.window_minutes is not None:
            raise ValueError(
                "window_minutes: the discharge checkpoint has no window (it is due no sooner "
                "than the minimum observation time; later is allowed)"
            )
        return self

    @property
    def window(self) -> int | None:
        """Minutes either side of the due time (before it only, for a before-anchor
        checkpoint) within which a reading is on time; None for the discharge checkpoint."""
        if self.discharge:
            return None
        if self.window_minutes is not None:
            return self.window_minutes
        if self.before_anchor:
            return BEFORE_ANCHOR_WINDOW_MINUTES
        return max(MIN_WINDOW_MINUTES, self.offset_minutes // 4)

    def minutes_off_window(self, due_at: dt.datetime, taken_at: dt.datetime) -> int:
        """Whole minutes a reading taken at `taken_at` lies outside this checkpoint's window
        around `due_at`: positive when late, negative when early, 0 when on time.

        Worked example: the 40-minute checkpoint (window 15) of a dose at 09:15 is due 09:55;
        a reading at 10:05 is on time (0), at 15:00 it is late by 290 min (15:00 - 10:10), at
        09:30 early by 10 min (09:40 - 09:30). A before-dose reading is late once the dose has
        been given (taken after `due_at`, the dose time).
        """
        window = self.window
        if window is None:
            return 0
        span = dt.timedelta(minutes=window)
        low = due_at - span
        high = due_at if self.before_anchor else due_at + span
        if taken_at > high:
            return int((taken_at - high).total_seconds() // 60)
        if taken_at < low:
            return -int((low - taken_at).total_seconds() // 60)
        return 0


_REMS_SOURCE = re.compile(
    r"^(patient|site|session|course|parameters|screening|computed|monitor)\.[a-z_]+"
    r"|^checkpoint\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(\.(systolic|diastolic))?$"
)


class ReportField(_Strict):
    """One field of an external report prefilled from the chart (the REMS monitoring form).

    `source` says where the value comes from: `patient.<attr>`, `site.<attr>`, `session.<attr>`,
    `course.<attr>`, `parameters.<key>`, `screening.<key>` (the session screening),
    `checkpoint.<checkpoint>.<field>`, `computed.<name>` or `monitor.<attr>` (who monitored).
    """

    key: Key
    label: Annotated[str, Field(min_length=1, max_length=300)]
    source: Annotated[str, Field(pattern=_REMS_SOURCE.pattern, max_length=120)]


class TemplateSpec(_Strict):
    slug: Slug
    version: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["screening", "observation"]
    modality: Modality | None = None
    # Where the checklist is normally used; a protocol may use it at either level.
    scope: Literal["course", "session"] | None = None
    description: str = ""
    fields: list[FormField] = []
    anchor: Literal["dose", "procedure"] = "procedure"
    minimum_observation_minutes: Annotated[int, Field(ge=0, le=1440)] = 0
    checkpoints: list[Checkpoint] = []
    report: list[ReportField] = []
    report_due_days: Annotated[int, Field(ge=1, le=60)] | None = None
    sources: list[Source] = []

    @model_validator(mode="after")
    def _check(self) -> TemplateSpec:
        if self.kind == "screening":
            self._check_screening()
        else:
            self._check_observation()
        if self.report and self.report_due_days is None:
            raise ValueError("report_due_days: required with report")
        return self

    def _check_screening(self) -> None:
        if not self.fields:
            raise ValueError("fields: a screening template needs at least one field")
        if self.checkpoints:
            raise ValueError("checkpoints: only observation templates have checkpoints")
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError("fields: keys must be unique")

    def _check_observation(self) -> None:
        if not self.checkpoints:
            raise ValueError("checkpoints: an observation template needs checkpoints")
        if self.fields:
            raise ValueError("fields: observation fields belong to checkpoints")
        keys = [c.key for c in self.checkpoints]
        if len(set(keys)) != len(keys):
            raise ValueError("checkpoints: keys must be unique")
        discharge = [c for c in self.checkpoints if c.discharge]
        if len(discharge) > 1:
            raise ValueError("checkpoints: at most one discharge checkpoint")
        if discharge and discharge[0].offset_minutes < self.minimum_observation_minutes:
            raise ValueError(
                "checkpoints: the discharge checkpoint cannot be due before "
                "minimum_observation_minutes"
            )
        for item in self.report:
            if item.source.startswith("checkpoint."):
                _, ck, fk, *_ = item.source.split(".")
                cp = self.checkpoint(ck)
                if cp is None or fk not in {f.key for f in cp.fields}:
                    raise ValueError(f"report: {item.source!r} names no checkpoint field")

    def checkpoint(self, key: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.key == key), None)

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def discharge_checkpoint(self) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.discharge), None)


class TemplateError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_template(data: Any) -> TemplateSpec:
    """Validate raw template data (a dict from JSON) or raise TemplateError naming each problem."""
    try:
        return TemplateSpec.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(format_errors(exc)) from None


def off_window_text(minutes: int) -> str:
    """'late by 290 min' / 'early by 10 min' / '' for a reading on time."""
    if minutes > 0:
        return f"late by {minutes} min"
    if minutes < 0:
        return f"early by {-minutes} min"
    return ""
