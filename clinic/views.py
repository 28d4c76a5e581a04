"""Clinic pages: patient search, registering a patient and editing their details. (A patient's
page lists courses and sessions, so it lives with them in scheduling/views/patient.py: imports
run clinic <- scheduling, never back.)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from clinic.error_codes import ERR_LIKELY_DUPLICATE
from clinic.errors import DomainError
from clinic.forms import FIELDS, PatientForm
from clinic.models import Patient
from clinic.pages import BOOKING, STAFF, can, page_errors, require, user_sites
from clinic.permissions import acting_user
from clinic.selectors import MAX_QUERY_LENGTH, patient_get, patient_list
from clinic.services import patient_create, patient_update
from clinic.submissions import KEY_FIELD, submit_once

RESULTS = 50
# Who registers patients and changes their records: the API's WRITE_ROLES (admins always may).
WRITERS = BOOKING


@login_required
@require_GET
@page_errors
def patient_search(request: HttpRequest) -> HttpResponse:
    """`/patients/?q=ann smi`: by MRN prefix or name words, within the user's sites."""
    require(request.user, *STAFF, action="find patients")
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    found = list(patient_list(user=acting_user(request), q=q).select_related("site")[: RESULTS + 1])
    return render(
        request,
        "clinic/patients.html",
        {
            "q": q,
            "patients": found[:RESULTS],
            "more": len(found) > RESULTS,
            "can_register": can(request.user, *WRITERS),
        },
    )


def _refused(
    request: HttpRequest, form: PatientForm, exc: DomainError, context: dict[str, Any]
) -> HttpResponse:
    """The form again with the service's refusal on its field (422/409)."""
    form.add_service_error(exc)
    if exc.code == ERR_LIKELY_DUPLICATE:
        context["duplicate_of"] = exc.details
    return render(request, "clinic/patient_form.html", context, status=exc.status)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def patient_register(request: HttpRequest) -> HttpResponse:
    """`/patients/new/`: register a patient at one of the user's sites (`patient_create`)."""
    require(request.user, *WRITERS, action="register patients")
    by = acting_user(request)
    sites = user_sites(by)
    form = PatientForm(request.POST if request.method == "POST" else None, sites=sites)
    context: dict[str, Any] = {"form": form, "sites": sites, "patient": None}
    if request.method == "GET":
        return render(request, "clinic/patient_form.html", context)
    if not sites:
        return render(request, "clinic/patient_form.html", context, status=404)
    if not form.is_valid():
        return render(request, "clinic/patient_form.html", context, status=422)
    site = form.cleaned_data.get("site") or sites[0]
    data = form.patient_data()
    try:
        ran, patient = submit_once(
            key=request.POST.get(KEY_FIELD),
            user=by,
            change=lambda: patient_create(site=site, by=by, **data),
        )
    except DomainError as exc:
        return _refused(request, form, exc, context)
    if not ran:
        messages.info(request, "Already recorded: the form was sent twice.")
        patient = Patient.objects.filter(site=site, mrn__iexact=data["mrn"].strip()).first()
        if patient is None:
            return HttpResponseRedirect(reverse("patients"))
    else:
        assert patient is not None
        messages.success(request, f"Registered {patient.full_name} ({patient.mrn}).")
    return HttpResponseRedirect(reverse("patient-detail", args=[patient.pk]))


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """`/patients/<id>/edit/`: change a patient's details (`patient_update`, only the fields
    that differ); another site's patient is a 404."""
    require(request.user, *WRITERS, action="change patient records")
    by = acting_user(request)
    patient = patient_get(user=by, patient_id=patient_id)
    initial = {name: getattr(patient, name) for name in FIELDS}
    form = PatientForm(request.POST if request.method == "POST" else None, initial=initial)
    context: dict[str, Any] = {"form": form, "patient": patient}
    if request.method == "GET":
        return render(request, "clinic/patient_form.html", context)
    if not form.is_valid():
        return render(request, "clinic/patient_form.html", context, status=422)
    changes = {k: v for k, v in form.patient_data().items() if v != initial[k]}
    detail = HttpResponseRedirect(reverse("patient-detail", args=[patient.pk]))
    if not changes:
        messages.info(request, "Nothing changed.")
        return detail
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD),
            user=by,
            change=lambda: patient_update(patient=patient, changes=changes, by=by),
        )
    except DomainError as exc:
        return _refused(request, form, exc, context)
    if ran:
        messages.success(request, f"Saved the details of {patient.full_name}.")
    else:
        messages.info(request, "Already recorded: the form was sent twice.")
    return detail
