"""A patient's page (details, courses, upcoming sessions) and the site page (opening hours,
closures, and closing a day with a preview of what it moves)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from clinic import clock
from clinic.errors import DomainError
from clinic.models import ROLE_ADMIN, ROLE_SCHEDULER, Closure, OpeningHours, Resource
from clinic.pages import BOOKING, CLINICAL, STAFF, can, page_errors, pick_site, require, user_sites
from clinic.permissions import acting_user
from clinic.selectors import patient_get
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.availability import local_day_bounds
from scheduling.closures import site_close_day
from scheduling.feed_selectors import feeds_for
from scheduling.feed_tokens import PATIENT_FEED_ROLES
from scheduling.forms import CloseDayForm
from scheduling.models import CalendarFeed, Course, Session
from scheduling.session_flags import session_flags

UPCOMING = 60
CLOSERS = (ROLE_SCHEDULER, ROLE_ADMIN)


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


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def site_page(request: HttpRequest) -> HttpResponse:
    require(request.user, *STAFF, action="see the site")
    sites = user_sites(acting_user(request))
    site = pick_site(request, sites)
    zone = site.zone
    today = clock.now().astimezone(zone).date()
    may_close = can(request.user, *CLOSERS)
    form = CloseDayForm(request.POST or None)
    context: dict[str, Any] = {"site": site, "sites": sites, "form": form, "may_close": may_close}
    status = 200
    if request.method == "POST":
        require(request.user, *CLOSERS, action="close a site day")
        if form.is_valid():
            kwargs: dict[str, Any] = {
                "site": site,
                "date": form.cleaned_data["date"],
                "reason": form.cleaned_data["reason"],
                "leave_unresolved": form.cleaned_data["leave_unresolved"],
                "by": acting_user(request),
                "now": clock.now(),
            }
            try:
                if request.POST.get("confirm"):
                    ran, result = submit_once(
                        key=request.POST.get(KEY_FIELD),
                        user=acting_user(request),
                        change=lambda: site_close_day(**kwargs),
                    )
                    if ran and result is not None:
                        messages.success(
                            request,
                            f"{site.name} closed on {result.date:%a %d %b %Y}; "
                            f"{len(result.moved)} session change(s)."
                            + (" " + " ".join(result.problems) if result.problems else ""),
                        )
                    else:
                        messages.info(request, "Already done: the form was sent twice.")
                    return HttpResponseRedirect(f"{reverse('site-page')}?site={site.pk}")
                preview = site_close_day(**kwargs, dry_run=True)
                context["preview"] = preview
                context["moves"] = [
                    {
                        "session": m.session,
                        "added": m.added,
                        "old": m.old_start.astimezone(zone) if m.old_start else None,
                        "new": m.session.start.astimezone(zone),
                    }
                    for m in preview.moved
                ]
            except DomainError as exc:
                context["error"] = exc.message
                status = exc.status
        else:
            status = 422
    context["hours"] = list(OpeningHours.objects.filter(site=site).order_by("weekday", "opens"))
    context["closures"] = list(
        Closure.objects.filter(site=site, date__gte=today).order_by("date")[:30]
    )
    context["today"] = today
    if context["closures"]:
        # Sessions still booked on a coming closed day, until moved or cancelled.
        context["flags"] = session_flags(site=site, first=today, last=context["closures"][-1].date)
        context["can_book"] = can(request.user, *BOOKING)
    # Site and room feeds: schedulers and admins manage them here (feed_create decides).
    context["may_manage_feeds"] = may_close
    if may_close:
        context["feeds"] = list(
            feeds_for(acting_user(request)).filter(
                site=site, kind__in=[CalendarFeed.Kind.SITE, CalendarFeed.Kind.RESOURCE]
            )
        )
        context["feeds_next"] = f"{reverse('site-page')}?site={site.pk}#feeds"
        context["resources"] = list(Resource.objects.filter(site=site).order_by("name", "id"))
    return render(request, "scheduling/site.html", context, status=status)
