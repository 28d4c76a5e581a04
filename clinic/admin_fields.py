"""Admin form fields that answer an out-of-range id with a form error instead of a 500.

Django's ModelMultipleChoiceField sends each submitted pk to the database; one past 64 bits
raises OverflowError on SQLite (and "out of range" on PostgreSQL), which the field does not catch.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import ManyToManyField
from django.http import HttpRequest

from clinic.api.fields import MAX_ID


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        for pk in value or ():
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own check reports it as an invalid choice
            if not 1 <= number <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)


class BoundedIdsAdminMixin:
    """Mixed into every ModelAdmin with a many-to-many field."""

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
