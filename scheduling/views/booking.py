"""The booking page: choose patient, protocol, start date, preferred time and optional
resources; see the planned schedule (or the sessions that could not be placed, and why) from
the same enrolment service run as a dry run; then confirm, which books exactly that request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clinic import clock
from clinic.errors import DomainError
from clinic.models import Patient, Resource
from clinic.pages import BOOKING, page_errors, pick_site, require, user_sites
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from protocols.models import Protocol
from protocols.selectors import protocols_bookable_at
from scheduling.course_changes import site_clinicians
from scheduling.enrolment import course_enrol
from scheduling.forms import BookingForm
from scheduling.models import Course


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def book(request: HttpRequest) -> HttpResponse:
    require(request.user, *BOOKING, action="book a course")
    sites = user_sites(acting_user(request))
    site = pick_site(request, sites)
    zone = site.zone
    initial: dict[str, Any] = {}
    if request.GET.get("patient", "").isdigit():
        initial["patient"] = int(request.GET["patient"])
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        patients=Patient.objects.filter(site=site).order_by("family_name", "given_name"),
        protocols=protocols_bookable_at(site_id=site.pk)
        .filter(status=Protocol.Status.ACTIVE)
        .order_by("name", "-version"),
        resources=Resource.objects.filter(site=site, active=True).order_by("kind", "name"),
    )
    _add_prescriber(form, site.pk, acting_user(request).pk)
    context: dict[str, Any] = {"site": site, "sites": sites, "form": form}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "scheduling/book.html", context, status=422)
        data = form.cleaned_data
        request_kwargs: dict[str, Any] = {
            "patient": data["patient"],
            "protocol": data["protocol"],
            "site": site.pk,
            "start_date": data["start_date"],
            "preferred_time": data["preferred_time"],
            "resource_ids": [r.pk for r in data["resources"]],
            "prescriber_id": data["prescriber"].pk,
            "by": acting_user(request),
            "now": clock.now(),
        }
        if request.POST.get("confirm"):
            try:
                ran, enrolment = submit_once(
                    key=request.POST.get(KEY_FIELD),
                    user=acting_user(request),
                    change=lambda: course_enrol(**request_kwargs),
                )
            except DomainError as exc:
                context["error"] = exc
                context["unplaced"] = exc.details.get("sessions") or []
                status = exc.status
            else:
                if not ran:
                    messages.info(request, "Already booked: the form was sent twice.")
                    latest = (
                        Course.objects.filter(
                            patient=data["patient"], booked_by=acting_user(request)
                        )
                        .order_by("-id")
                        .first()
                    )
                    target = (
                        reverse("course-detail", args=[latest.pk]) if latest else reverse("home")
                    )
                    return HttpResponseRedirect(target)
                assert enrolment is not None
                course = enrolment.course
                messages.success(
                    request,
                    f"Booked {course.protocol.name} for {course.patient.full_name}: "
                    f"{len(enrolment.sessions)} sessions.",
                )
                for change in enrolment.adjustments:
                    messages.info(
                        request,
                        f"Session {change.number} is on {change.placed_day:%a %d %b} at "
                        f"{change.placed_time:%H:%M}, not {change.requested_day:%a %d %b} at "
                        f"{change.requested_time:%H:%M}: {change.reason}.",
                    )
                return HttpResponseRedirect(reverse("course-detail", args=[course.pk]))
        else:
            try:
                preview = course_enrol(**request_kwargs, dry_run=True)
            except DomainError as exc:
                context["error"] = exc
                context["unplaced"] = exc.details.get("sessions") or []
                status = exc.status
            else:
                context["preview"] = [
                    {
                        "session": s,
                        "start": s.start.astimezone(zone),
                        "end": s.end.astimezone(zone),
                        "observation_end": s.observation_end.astimezone(zone),
                        "resources": sorted({h.resource.name for h in preview.holds_of(s)}),
                    }
                    for s in preview.sessions
                ]
                context["adjustments"] = preview.adjustments
    return render(request, "scheduling/book.html", context, status=status)


def _add_prescriber(form: BookingForm, site_id: int, user_id: int) -> None:
    """The course's prescriber: one of the site's clinicians, the booking clinician by default;
    a scheduler must choose (a course booked from the page always names one)."""
    clinicians = site_clinicians(site_id)
    field = forms.ModelChoiceField(
        queryset=clinicians,
        label="Prescriber",
        empty_label="Choose the prescribing clinician",
        help_text="The clinician responsible for this course (any clinician of the site).",
    )
    field.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]
    form.fields["prescriber"] = field
    if not form.is_bound and any(u.pk == user_id for u in clinicians):
        form.initial["prescriber"] = user_id
