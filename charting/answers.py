"""Answers to a form template's fields: cleaned and judged. Pure (no ORM).

Values are checked by `clean_value` (hard bounds: impossible values are rejected) and judged by
`flags_for` (alert ranges and answers that are a hard stop or need review: accepted, flagged);
`clean_answers` checks a whole set of answers and reports every problem together.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from charting.error_codes import (
    ERR_INVALID_VALUE,
    ERR_MISSING_ANSWER,
    ERR_OUT_OF_BOUNDS,
    ERR_UNKNOWN_FIELD,
)
from charting.spec import FieldType, FormField, Limits


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
        return _clean_blood_pressure(field, raw)
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
    return _clean_time(label, raw)


def _clean_blood_pressure(field: FormField, raw: Any) -> dict[str, float | int]:
    label = field.key
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


def _clean_time(label: str, raw: Any) -> str:
    # A wall-clock "HH:MM" or an ISO 8601 date-time with its UTC offset.
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
