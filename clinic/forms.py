"""The patient form of the register and edit pages. Shapes and labels only: the rules (MRN per
site, likely duplicates, contact and REMS checks) are the services' (clinic/services.py), and
their refusals are put on the field they name (`add_service_error`)."""

from __future__ import annotations

from typing import Any

from django import forms

from clinic.error_codes import ERR_MRN_TAKEN
from clinic.errors import DomainError
from clinic.models import PreferredContact, Site

# The form's fields, in the order of the page; each is a keyword of patient_create.
FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "mrn",
    "phone",
    "email",
    "preferred_contact",
    "rems_enrolled",
    "rems_patient_id",
    "companion_name",
    "companion_phone",
)


class PatientForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label="Site", required=False)
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    mrn = forms.CharField(
        label="MRN", max_length=32, help_text="The record number; unique at the site."
    )
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(label="Email", max_length=254, required=False)
    preferred_contact = forms.ChoiceField(
        label="Preferred contact",
        choices=[("", "No preference"), *PreferredContact.choices],
        required=False,
    )
    rems_enrolled = forms.BooleanField(
        label="Enrolled in the Spravato REMS programme", required=False
    )
    rems_patient_id = forms.CharField(
        label="REMS patient ID",
        max_length=32,
        required=False,
        help_text="From the REMS enrolment form; only for an enrolled patient.",
    )
    companion_name = forms.CharField(
        label="Companion's name",
        max_length=100,
        required=False,
        help_text="Who takes the patient home (esketamine: no driving until the next day).",
    )
    companion_phone = forms.CharField(
        label="Companion's phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    def __init__(self, *args: Any, sites: list[Site] | None = None, **kwargs: Any):
        """`sites`: the sites to choose from when registering at more than one; None or one
        site: no choice (the view picks it)."""
        super().__init__(*args, **kwargs)
        site = self.fields["site"]
        assert isinstance(site, forms.ModelChoiceField)
        if sites and len(sites) > 1:
            site.queryset = Site.objects.filter(pk__in=[s.pk for s in sites]).order_by("name")
            site.required = True
        else:
            del self.fields["site"]

    def patient_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in FIELDS}

    def add_service_error(self, exc: DomainError) -> None:
        """The service's refusal on the field it names ("phone: ..."), the MRN's on the MRN,
        anything else on the form as a whole."""
        field, sep, text = exc.message.partition(": ")
        if sep and field in self.fields:
            self.add_error(field, text[:1].upper() + text[1:] + ".")
        elif exc.code == ERR_MRN_TAKEN:
            self.add_error("mrn", exc.message)
        else:
            self.add_error(None, exc.message)
