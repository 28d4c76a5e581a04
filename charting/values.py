"""How a recorded value reads on a page. Pure."""

from __future__ import annotations

from typing import Any

from charting.spec import FieldType, FormField


def shown_value(field: FormField, value: Any) -> str:
    if value is None:
        return ""
    if field.type == FieldType.YES_NO:
        return "Yes" if value else "No"
    if field.type == FieldType.BLOOD_PRESSURE and isinstance(value, dict):
        return f"{value.get('systolic')}/{value.get('diastolic')} mmHg"
    if field.type == FieldType.CHOICE:
        return next((c.label for c in field.choices if c.value == value), str(value))
    if field.type == FieldType.NUMBER:
        number = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{number} {field.unit}".strip()
    return str(value)
