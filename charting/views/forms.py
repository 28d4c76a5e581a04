"""Page forms for charting, built from the form template's fields (data, not code): a
checklist or a checkpoint becomes a Django form whose inputs carry labels, the required mark
and, for the browser's highlighting, the template's alert ranges.

Django checks only the shape of each input (a number, a choice); the services check the values
against the template (impossible values refused, out-of-range ones flagged), as for the API.

The treatment-parameters form is built the same way from the modality's typed parameter model
(charting/parameters.py: one home for the fields; the model validates, as for the API).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django import forms
from pydantic import BaseModel

from charting.scoring import ScaleDef
from charting.spec import FieldType, FormField, Limits

YES, NO = "yes", "no"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _alert_attrs(limits: Limits | None) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if limits is not None and limits.alert_above is not None:
        attrs["data-alert-above"] = f"{limits.alert_above:g}"
    if limits is not None and limits.alert_below is not None:
        attrs["data-alert-below"] = f"{limits.alert_below:g}"
    return attrs


def _answers_attr(f: FormField) -> dict[str, str]:
    """The answers that stop, need review or alert, for the page to explain on the spot."""
    attrs = {}
    for name, answers in (
        ("data-hard-stop", f.hard_stop_when),
        ("data-review", f.review_when),
        ("data-alert-values", f.alert_when),
    ):
        if answers:
            shown = [(YES if a else NO) if isinstance(a, bool) else str(a) for a in answers]
            attrs[name] = " ".join(shown)
    return attrs


def _label(field: FormField, suffix: str = "") -> str:
    unit = f" ({field.unit})" if field.unit and field.type == FieldType.NUMBER else ""
    return f"{field.label}{suffix}{unit}"


def form_fields(spec_fields: list[FormField], *, require: bool) -> dict[str, forms.Field]:
    """Django fields for template fields; `require`: enforce the template's required marks
    (a checklist is submitted whole; a checkpoint may be recorded in parts)."""
    out: dict[str, forms.Field] = {}
    for f in spec_fields:
        required = require and f.required
        mark = {"data-required": "1"} if f.required else {}
        if f.type == FieldType.YES_NO:
            out[f.key] = forms.ChoiceField(
                label=f.label,
                choices=[(YES, "Yes"), (NO, "No")],
                widget=forms.RadioSelect(attrs={**mark, **_answers_attr(f)}),
                required=required,
                help_text=f.help,
            )
        elif f.type == FieldType.NUMBER:
            attrs = {
                **mark,
                **_alert_attrs(f.limits),
                "inputmode": "numeric" if f.integer else "decimal",
                "step": "1" if f.integer else "any",
            }
            out[f.key] = forms.FloatField(
                label=_label(f), required=required, widget=forms.NumberInput(attrs=attrs)
            )
        elif f.type == FieldType.BLOOD_PRESSURE:
            for part, limits in (("systolic", f.systolic), ("diastolic", f.diastolic)):
                attrs = {**mark, **_alert_attrs(limits), "inputmode": "numeric", "step": "1"}
                out[f"{f.key}__{part}"] = forms.IntegerField(
                    label=f"{f.label} {part} (mmHg)",
                    required=required,
                    widget=forms.NumberInput(attrs=attrs),
                )
        elif f.type == FieldType.CHOICE:
            out[f.key] = forms.ChoiceField(
                label=f.label,
                choices=[("", "—"), *((c.value, c.label) for c in f.choices)],
                required=required,
                widget=forms.Select(attrs={**mark, **_answers_attr(f)}),
            )
        elif f.type == FieldType.TIME:
            out[f.key] = forms.CharField(
                label=f.label,
                required=required,
                widget=forms.TimeInput(attrs={**mark, "type": "time"}),
            )
        else:
            out[f.key] = forms.CharField(
                label=f.label,
                required=required,
                max_length=f.max_length,
                widget=forms.Textarea(attrs={**mark, "rows": 2}),
            )
    return out


def answers_form(
    spec_fields: list[FormField], *, require: bool, data: Any = None, prefix: str | None = None
) -> forms.Form:
    form = forms.Form(data=data, prefix=prefix)
    form.fields.update(form_fields(spec_fields, require=require))
    return form


def answers_from(form: forms.Form, spec_fields: list[FormField]) -> dict[str, Any]:
    """The answers dict the services take, from a valid form (blank inputs left out)."""
    data = form.cleaned_data
    answers: dict[str, Any] = {}
    for f in spec_fields:
        if f.type == FieldType.BLOOD_PRESSURE:
            sys_v, dia_v = data.get(f"{f.key}__systolic"), data.get(f"{f.key}__diastolic")
            if sys_v is not None or dia_v is not None:
                answers[f.key] = {"systolic": sys_v, "diastolic": dia_v}
            continue
        value = data.get(f.key)
        if value in (None, ""):
            continue
        if f.type == FieldType.YES_NO:
            answers[f.key] = value == YES
        elif f.type == FieldType.NUMBER:
            answers[f.key] = int(value) if f.integer and float(value).is_integer() else value
        else:
            answers[f.key] = value
    return answers


class TakenAtForm(forms.Form):
    """When the values were taken, in the site's wall-clock time (defaults to now)."""

    taken_at = forms.DateTimeField(
        label="Taken at",
        input_formats=[LOCAL_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    confirm = forms.BooleanField(
        label="I have checked the out-of-range values and they are correct", required=False
    )


class AnchorForm(forms.Form):
    at = forms.DateTimeField(
        label="Dose / procedure time",
        input_formats=[LOCAL_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", min_length=3, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class BaselineForm(forms.Form):
    """Mark one administration as the course's baseline (charting/outcomes.py
    `scale_baseline_mark`): which, and why."""

    administration = forms.IntegerField(label="Score", min_value=1)
    reason = forms.CharField(
        label="Why this score is the baseline",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Review note",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def as_aware(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock value from a datetime-local input, in the site's zone."""
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value.replace(tzinfo=zone)


def local_input(value: dt.datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(LOCAL_INPUT)


def scale_form(scale: ScaleDef, data: Any = None) -> forms.Form:
    """One select per item (0..max), labelled with the item text where it may be embedded."""
    form = forms.Form(data=data)
    for item in scale.items:
        labels = scale.answer_labels if len(scale.answer_labels) == item.max + 1 else ()
        choices = [("", "—")] + [
            (str(v), f"{v}: {labels[v]}" if labels else str(v)) for v in range(item.max + 1)
        ]
        form.fields[item.key] = forms.TypedChoiceField(
            label=item.text or item.key, choices=choices, coerce=int
        )
    form.fields["administered_at"] = forms.DateTimeField(
        label="Administered at",
        input_formats=[LOCAL_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    return form


# --- treatment parameters ----------------------------------------------------------------------

UNITS = {
    "_pct_mt": " (% of motor threshold)",
    "_pct": " (%)",
    "_hz": " (Hz)",
    "_ms": " (ms)",
    "_ma": " (mA)",
    "_mc": " (mC)",
    "_mg": " (mg)",
    "_s": " (s)",
}


def _parameter_label(name: str) -> str:
    for suffix, unit in UNITS.items():
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " ").capitalize() + unit
    return name.replace("_", " ").capitalize()


def _base(annotation: Any) -> Any:
    """The type under Optional[...] / X | None."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def parameters_form(model: type[BaseModel], *, data: Any = None, initial: Any = None) -> forms.Form:
    form = forms.Form(data=data, initial=initial)
    for name, info in model.model_fields.items():
        kind = _base(info.annotation)
        required = info.is_required()
        label = _parameter_label(name)
        field: forms.Field
        if typing.get_origin(kind) is Literal:
            values = typing.get_args(kind)
            choices = [("", "—")] if not required else []
            field = forms.ChoiceField(
                label=label, choices=choices + [(str(v), str(v)) for v in values], required=required
            )
        elif kind is bool:
            field = forms.BooleanField(label=label, required=False)
        elif kind is int:
            field = forms.IntegerField(label=label, required=required)
        elif kind is float:
            field = forms.FloatField(
                label=label,
                required=required,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )
        elif isinstance(kind, type) and issubclass(kind, dt.datetime):
            field = forms.DateTimeField(
                label=f"{label} (site time)",
                required=required,
                input_formats=[LOCAL_INPUT],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
            )
        else:
            field = forms.CharField(label=label, required=required)
        form.fields[name] = field
    return form


def parameters_values(model: type[BaseModel], form: forms.Form, zone: ZoneInfo) -> dict[str, Any]:
    """The values dict for parameters_record, from a valid form (blank optional fields left out;
    datetimes in the site's zone; Literal numbers back to numbers)."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        kind = _base(info.annotation)
        if isinstance(value, dt.datetime):
            value = as_aware(value, zone).isoformat()
        elif typing.get_origin(kind) is Literal:
            options = {str(v): v for v in typing.get_args(kind)}
            value = options.get(value, value)
        values[name] = value
    return values
