"""A page form for a modality's treatment parameters, built from the typed parameter model in
charting/parameters.py (one home for the fields; the model validates, as for the API)."""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django import forms
from pydantic import BaseModel

from charting.forms import LOCAL_INPUT, as_aware

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


def _label(name: str) -> str:
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
        label = _label(name)
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
