"""The staff patient page: details, courses, upcoming sessions, and the patient's calendar link
for those who manage it. (The patient's own page, `/p/<token>/`, is views/patient_link.py.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clinic import clock
from clinic.pages import BOOKING, CLINICAL, STAFF, can, page_errors, require
from clinic.permissions import acting_user
from clinic.selectors import patient_get
from scheduling.availability import local_day_bounds
from scheduling.feed_selectors import feeds_for
from scheduling.feed_tokens import PATIENT_FEED_ROLES
from scheduling.models import CalendarFeed, Course, Session

UPCOMING = 60


@login_required
@require_GET
@page_errors
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    require(request.user, *STAFF, action="see patients")
    patient = patient_get(user=acting_user(request), patient_id=patient_id)
    zone = patient.site.zone
    today_start, _ = local_day_bounds(clock.now().astimezone(zone).date(), zone)
    courses = list(
        Course.objects.filter(patient=patient).select_related("protocol").order_by("-start_date")
    )
    sessions = list(
        Session.objects.filter(patient=patient, start__gte=today_start)
        .select_related("course__protocol")
        .defer("course__protocol__spec")
        .order_by("start", "id")[:UPCOMING]
    )
    # The patient's feeds, for those who may manage them (the API's rule: feeds_for).
    can_manage_feeds = can(request.user, *PATIENT_FEED_ROLES)
    feeds = (
        list(feeds_for(acting_user(request)).filter(patient=patient)) if can_manage_feeds else []
    )
    return render(
        request,
        "scheduling/patient.html",
        {
            "patient": patient,
            "site": patient.site,
            "courses": courses,
            "sessions": sessions,
            "can_book": can(request.user, *BOOKING),
            "can_chart": can(request.user, *CLINICAL),
            "can_manage_feeds": can_manage_feeds,
            "feeds": feeds,
            "feeds_next": reverse("patient-detail", args=[patient.pk]) + "#feeds",
            "has_active_link": any(
                f.kind == CalendarFeed.Kind.PATIENT and f.revoked_at is None for f in feeds
            ),
        },
    )
