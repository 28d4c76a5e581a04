"""The site page: opening hours, closures, closing a day with a preview of what it moves, and
the site's and rooms' calendar feeds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clinic import clock
from clinic.errors import DomainError
from clinic.models import ROLE_ADMIN, ROLE_SCHEDULER, Closure, OpeningHours, Resource, Site
from clinic.pages import BOOKING, STAFF, can, page_errors, pick_site, require, user_sites
from clinic.permissions import acting_user
from clinic.services import site_phone_set
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.closures import site_close_day
from scheduling.feed_selectors import feeds_for
from scheduling.forms import CloseDayForm
from scheduling.models import CalendarFeed
from scheduling.session_flags import session_flags

CLOSERS = (ROLE_SCHEDULER, ROLE_ADMIN)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def site_page(request: HttpRequest) -> HttpResponse:
    require(request.user, *STAFF, action="see the site")
    sites = user_sites(acting_user(request))
    site = pick_site(request, sites)
    return _site_page(request, site, sites)


def _site_page(
    request: HttpRequest, site: Site, sites: list[Site], phone_error: DomainError | None = None
) -> HttpResponse:
    zone = site.zone
    today = clock.now().astimezone(zone).date()
    may_close = can(request.user, *CLOSERS)
    closing = request.method == "POST" and phone_error is None
    form = CloseDayForm(request.POST if closing else None)
    context: dict[str, Any] = {"site": site, "sites": sites, "form": form, "may_close": may_close}
    status = 200
    if phone_error is not None:
        context["phone_error"] = phone_error.message
        context["phone_value"] = request.POST.get("phone", "")
        status = phone_error.status
    if closing:
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
    context["may_set_phone"] = can(request.user, ROLE_ADMIN)
    return render(request, "scheduling/site.html", context, status=status)


@login_required
@require_http_methods(["POST"])
@page_errors
def site_phone(request: HttpRequest) -> HttpResponse:
    """The number patients call, set by a site admin here rather than in the Django admin
    (which a clinic's admin may not open)."""
    require(request.user, ROLE_ADMIN, action="change the clinic's phone number")
    sites = user_sites(acting_user(request))
    site = pick_site(request, sites)
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD),
            user=acting_user(request),
            change=lambda: site_phone_set(
                site=site, phone=request.POST.get("phone", ""), by=acting_user(request)
            ),
        )
    except DomainError as exc:
        return _site_page(request, site, sites, phone_error=exc)
    if ran:
        messages.success(request, f"Phone shown on patients' pages: {site.phone or 'none'}.")
    return HttpResponseRedirect(f"{reverse('site-page')}?site={site.pk}#site-phone")
