"""Clinic pages: patient search. (A patient's page lists courses and sessions, so it lives with
them in scheduling/views/patient.py: imports run clinic <- scheduling, never back.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.pages import STAFF, page_errors, require
from clinic.permissions import acting_user
from clinic.selectors import MAX_QUERY_LENGTH, patient_list

RESULTS = 50


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
        {"q": q, "patients": found[:RESULTS], "more": len(found) > RESULTS},
    )
