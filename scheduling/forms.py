"""Page forms for booking and session changes. Shapes only: the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from clinic.models import Patient, Resource
from protocols.models import Protocol


class BookingForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), label="Patient")
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.none(), label="Protocol")
    start_date = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    preferred_time = forms.TimeField(
        label="Preferred time (site time)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    resources = forms.ModelMultipleChoiceField(
        queryset=Resource.objects.none(),
        required=False,
        label="Only these resources (optional)",
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty to use any free resource of the kinds the protocol needs.",
    )

    def __init__(self, *args: Any, patients: Any, protocols: Any, resources: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        patient = self.fields["patient"]
        protocol = self.fields["protocol"]
        chosen = self.fields["resources"]
        assert isinstance(patient, forms.ModelChoiceField)
        assert isinstance(protocol, forms.ModelChoiceField)
        assert isinstance(chosen, forms.ModelMultipleChoiceField)
        patient.queryset = patients
        protocol.queryset = protocols
        chosen.queryset = resources
        patient.label_from_instance = lambda p: f"{p.full_name} ({p.mrn})"  # type: ignore[method-assign,assignment]
        protocol.label_from_instance = lambda p: f"{p.name} (v{p.version})"  # type: ignore[method-assign,assignment]
        chosen.label_from_instance = lambda r: f"{r.name} ({r.get_kind_display()})"  # type: ignore[method-assign,assignment]


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason for cancelling", max_length=300)
    make_up = forms.ChoiceField(
        label="Make-up session",
        choices=[
            ("default", "The protocol's rule"),
            ("yes", "Add a make-up"),
            ("no", "No make-up"),
        ],
        initial="default",
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, rule: str = "", adds: bool | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["make_up"]
        assert isinstance(field, forms.ChoiceField)
        if rule:
            default = "add a make-up" if adds else "no make-up"
            field.choices = [
                ("default", f"The protocol's rule ({default})"),
                ("yes", "Add a make-up at the end of the course"),
                ("no", "No make-up"),
            ]
            field.help_text = rule

    def make_up_choice(self) -> bool | None:
        """None: the protocol's rule; True/False: staff's choice."""
        return {"yes": True, "no": False}.get(self.cleaned_data.get("make_up") or "default")


class NoShowForm(forms.Form):
    reason = forms.CharField(label="Note (optional)", max_length=300, required=False)


class CloseDayForm(forms.Form):
    date = forms.DateField(label="Day to close", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Reason", max_length=200)
    leave_unresolved = forms.BooleanField(
        label="Close the day even if some sessions cannot be moved (they stay booked on it, "
        "flagged until moved or cancelled)",
        required=False,
    )
