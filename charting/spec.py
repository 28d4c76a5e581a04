"""The typed form template format: screening checklists and timed observation forms, as data.

Pure (pydantic, no ORM). A template is validated like a protocol spec: `parse_template` raises
`TemplateError` listing one "path: message" per problem (``checkpoints[1].fields[0].limits:
only number fields have limits``). The format is documented in docs/charting.md.

Values are checked by `clean_value` (hard bounds: impossible values are rejected) and judged by
`flags_for` (alert ranges and answers that are a hard stop or need review: accepted, flagged).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from charting.error_codes import (
    ERR_INVALID_VALUE,
    ERR_MISSING_ANSWER,
    ERR_OUT_OF_BOUNDS,
    ERR_UNKNOWN_FIELD,
)
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
        return self

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
            if not self.fields:
                raise ValueError("fields: a screening template needs at least one field")
            if self.checkpoints:
                raise ValueError("checkpoints: only observation templates have checkpoints")
            keys = [f.key for f in self.fields]
            if len(set(keys)) != len(keys):
                raise ValueError("fields: keys must be unique")
        else:
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
        if self.report and self.report_due_days is None:
            raise ValueError("report_due_days: required with report")
        return self

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


# --- values -----------------------------------------------------------------------------------


class ValueProblem(Exception):
    """A value that cannot be accepted. `code` is a stable error code."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Flag:
    kind: Literal["hard_stop", "review", "alert"]
    key: str
    message: str
    # An alert in the field's severe range (`severe_above`/`severe_below`, `severe_when`).
    severe: bool = False


def off_window_text(minutes: int) -> str:
    """'late by 290 min' / 'early by 10 min' / '' for a reading on time."""
    if minutes > 0:
        return f"late by {minutes} min"
    if minutes < 0:
        return f"early by {-minutes} min"
    return ""


def _fmt(x: float) -> str:
    return f"{x:g}"


def _number(field_label: str, raw: Any, *, integer: bool) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        # json.loads accepts NaN and Infinity; neither is a reading, and PostgreSQL's JSON
        # cannot store them.
        raise ValueProblem(ERR_INVALID_VALUE, f"{field_label}: must be a number")
    if integer and not float(raw).is_integer():
        raise ValueProblem(ERR_INVALID_VALUE, f"{field_label}: must be a whole number")
    return int(raw) if integer or isinstance(raw, int) else float(raw)


def _bounded(label: str, value: float, limits: Limits | None, unit: str) -> None:
    if limits is None:
        return
    suffix = f" {unit}" if unit else ""
    if limits.min is not None and value < limits.min:
        raise ValueProblem(
            ERR_OUT_OF_BOUNDS,
            f"{label}: {_fmt(value)}{suffix} is impossible (lowest accepted {_fmt(limits.min)})",
        )
    if limits.max is not None and value > limits.max:
        raise ValueProblem(
            ERR_OUT_OF_BOUNDS,
            f"{label}: {_fmt(value)}{suffix} is impossible (highest accepted {_fmt(limits.max)})",
        )


_BP_TEXT = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def clean_value(field: FormField, raw: Any) -> Any:
    """The stored form of `raw` for `field`, or ValueProblem (wrong type, impossible value)."""
    label = field.key
    t = field.type
    if t == FieldType.YES_NO:
        if not isinstance(raw, bool):
            raise ValueProblem(ERR_INVALID_VALUE, f"{label}: must be true or false")
        return raw
    if t == FieldType.NUMBER:
        value = _number(label, raw, integer=field.integer)
        _bounded(label, value, field.limits, field.unit)
        return value
    if t == FieldType.BLOOD_PRESSURE:
        if isinstance(raw, str) and (m := _BP_TEXT.match(raw)):
            raw = {"systolic": int(m.group(1)), "diastolic": int(m.group(2))}
        if not isinstance(raw, dict) or set(raw) != {"systolic", "diastolic"}:
            raise ValueProblem(
                ERR_INVALID_VALUE,
                f'{label}: must be {{"systolic": n, "diastolic": n}} or "120/80"',
            )
        sys_v = _number(f"{label}.systolic", raw["systolic"], integer=True)
        dia_v = _number(f"{label}.diastolic", raw["diastolic"], integer=True)
        _bounded(f"{label}.systolic", sys_v, field.systolic_limits, "mmHg")
        _bounded(f"{label}.diastolic", dia_v, field.diastolic_limits, "mmHg")
        if dia_v >= sys_v:
            raise ValueProblem(
                ERR_OUT_OF_BOUNDS, f"{label}: diastolic must be below systolic ({sys_v}/{dia_v})"
            )
        return {"systolic": sys_v, "diastolic": dia_v}
    if t == FieldType.CHOICE:
        known = [c.value for c in field.choices]
        if not isinstance(raw, str) or raw not in known:
            raise ValueProblem(ERR_INVALID_VALUE, f"{label}: must be one of {', '.join(known)}")
        return raw
    if t == FieldType.TEXT:
        if not isinstance(raw, str):
            raise ValueProblem(ERR_INVALID_VALUE, f"{label}: must be text")
        if len(raw) > field.max_length:
            raise ValueProblem(ERR_INVALID_VALUE, f"{label}: at most {field.max_length} characters")
        return raw.strip()
    # TIME: a wall-clock "HH:MM" or an ISO 8601 date-time with its UTC offset.
    if isinstance(raw, str) and _HHMM.match(raw):
        return raw
    if isinstance(raw, str):
        try:
            when = dt.datetime.fromisoformat(raw)
        except ValueError:
            when = None
        if when is not None and when.tzinfo is not None:
            # Stored and answered as the API writes instants: UTC with Z.
            return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    raise ValueProblem(
        ERR_INVALID_VALUE, f'{label}: must be "HH:MM" or an ISO date-time with offset'
    )


def flags_for(field: FormField, value: Any) -> list[Flag]:
    """Hard stops, review items and alerts that an accepted value raises.

    One reading is at most one alert: a blood pressure names both parts in one message
    ("Blood pressure 186/112 mmHg: systolic 186 mmHg is above 180, diastolic 112 mmHg is above
    110"), severe when either part is in its severe range."""
    out: list[Flag] = []
    if value is None:
        return out
    t = field.type
    if t in (FieldType.YES_NO, FieldType.CHOICE):
        shown = ("yes" if value else "no") if isinstance(value, bool) else value
        for kind, answers in (
            ("hard_stop", field.hard_stop_when),
            ("review", field.review_when),
        ):
            if value in answers:
                out.append(Flag(kind, field.key, f"{field.label}: {shown}"))  # type: ignore[arg-type]
        if value in field.alert_when or value in field.severe_when:
            severe = value in field.severe_when
            out.append(Flag("alert", field.key, f"{field.label}: {shown}", severe))
    elif t == FieldType.NUMBER:
        part = _range_part(field.label, value, field.limits, field.unit)
        if part is not None:
            out.append(Flag("alert", field.key, part[0], part[1]))
    elif t == FieldType.BLOOD_PRESSURE:
        parts = [
            p
            for p in (
                _range_part("systolic", value["systolic"], field.systolic, "mmHg"),
                _range_part("diastolic", value["diastolic"], field.diastolic, "mmHg"),
            )
            if p is not None
        ]
        if parts:
            reading = f"{value['systolic']}/{value['diastolic']} mmHg"
            message = f"{field.label} {reading}: " + ", ".join(p[0] for p in parts)
            out.append(Flag("alert", field.key, message, any(p[1] for p in parts)))
    return out


def _range_part(
    label: str, value: float, limits: Limits | None, unit: str
) -> tuple[str, bool] | None:
    """The alert wording for one number and whether it is severe, or None when in range."""
    if limits is None:
        return None
    suffix = f" {unit}" if unit else ""
    shown = f"{label} {_fmt(value)}{suffix}"
    if limits.severe_above is not None and value > limits.severe_above:
        return f"{shown} is above {_fmt(limits.severe_above)}", True
    if limits.severe_below is not None and value < limits.severe_below:
        return f"{shown} is below {_fmt(limits.severe_below)}", True
    if limits.alert_above is not None and value > limits.alert_above:
        return f"{shown} is above {_fmt(limits.alert_above)}", False
    if limits.alert_below is not None and value < limits.alert_below:
        return f"{shown} is below {_fmt(limits.alert_below)}", False
    return None


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


class AnswersInvalid(Exception):
    """One or more answers cannot be accepted; `problems` lists each with its code."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))

    @property
    def code(self) -> str:
        return self.problems[0].code


def clean_answers(fields: list[FormField], answers: Any, *, require_all: bool) -> dict[str, Any]:
    """Validate a dict of answers against `fields`; all problems are reported together.

    `require_all`: every required field must be present (a screening is submitted whole; an
    observation checkpoint may be recorded in parts).
    """
    if not isinstance(answers, dict):
        raise AnswersInvalid([Problem(ERR_INVALID_VALUE, "answers: must be an object")])
    by_key = {f.key: f for f in fields}
    problems: list[Problem] = []
    for key in answers:
        if key not in by_key:
            known = ", ".join(sorted(by_key))
            problems.append(
                Problem(ERR_UNKNOWN_FIELD, f"{key}: is not a field of this form ({known})")
            )
    clean: dict[str, Any] = {}
    for field in fields:
        if field.key not in answers or answers[field.key] is None:
            if require_all and field.required:
                problems.append(Problem(ERR_MISSING_ANSWER, f"{field.key}: is required"))
            continue
        try:
            clean[field.key] = clean_value(field, answers[field.key])
        except ValueProblem as exc:
            problems.append(Problem(exc.code, exc.message))
    if not clean and not problems:
        problems.append(Problem(ERR_MISSING_ANSWER, "answers: give at least one value"))
    if problems:
        # Unknown fields first: they usually mean the wrong form, which explains the rest.
        order = {
            ERR_UNKNOWN_FIELD: 0,
            ERR_OUT_OF_BOUNDS: 1,
            ERR_INVALID_VALUE: 2,
            ERR_MISSING_ANSWER: 3,
        }
        problems.sort(key=lambda p: order.get(p.code, 9))
        raise AnswersInvalid(problems)
    return clean
