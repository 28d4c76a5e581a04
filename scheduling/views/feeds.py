"""Staff pages for calendar feeds: a patient's link on the patient page, each person's own
staff feed on "My calendar", the site's and rooms' feeds on the site page, and rotating or
revoking any of them.

Thin: who may do what is scheduling.feed_tokens (`feed_create` checks role and site,
`feed_rotate`/`feed_revoke` answer NotFound for a feed the user may not manage, as the API);
the lists come from `feeds_for`, the same selector as the API's list. A new token is rendered
in the response to the POST that made it (create, rotate) and never again: no redirect, no
storage, `Cache-Control: no-store`. Every form carries a double-submit key: a repeated POST
changes nothing and, since the token cannot be shown twice, says so.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import DomainError, Forbidden, NotFound
from clinic.models import Resource
from clinic.pages import STAFF, page_errors, pick_site, require, safe_next, user_sites
from clinic.permissions import acting_user
from clinic.selectors import patient_get
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.feed_selectors import feeds_for
from scheduling.feed_tokens import feed_create, feed_revoke, feed_rotate
from scheduling.models import CalendarFeed

Kind = CalendarFeed.Kind
Issued = tuple[CalendarFeed, str]


def _links(request: HttpRequest, feed: CalendarFeed, token: str) -> dict[str, str]:
    https = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
    links = {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}
    if feed.kind == Kind.PATIENT:
        links["page"] = request.build_absolute_uri(reverse("patient-home", args=[token]))
    return links


def _shown_once(request: HttpRequest, feed: CalendarFeed, token: str, back: str) -> HttpResponse:
    response = render(
        request,
        "scheduling/feed_link.html",
        {"feed": feed, "links": _links(request, feed, token), "back": back},
    )
    # The page holds a live secret: no cache may keep it, and no Referer may carry the page.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _run(
    request: HttpRequest,
    change: Callable[[], Issued | CalendarFeed],
    *,
    back: str,
    done: str,
) -> HttpResponse:
    """Run a feed service once per form key; a new token is shown, anything else redirects."""
    try:
        ran, result = submit_once(
            key=request.POST.get(KEY_FIELD), user=acting_user(request), change=change
        )
    except (NotFound, Forbidden):
        raise  # page_errors: 404 / 403, as the API
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    if not ran:
        messages.info(
            request,
            "Already done: the form was sent twice. A new link is shown only once; "
            "rotate the feed if you need it again.",
        )
        return HttpResponseRedirect(back)
    if isinstance(result, tuple):
        feed, token = result
        return _shown_once(request, feed, token, back)
    messages.success(request, done)
    return HttpResponseRedirect(back)


@login_required
@require_POST
@page_errors
def patient_feed_issue(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Issue a patient's link (their page and feed). Roles and site: `feed_create`."""
    require(request.user, *STAFF, action="manage patients' calendar feeds")
    by = acting_user(request)
    patient = patient_get(user=by, patient_id=patient_id)
    back = reverse("patient-detail", args=[patient.pk]) + "#feeds"
    return _run(
        request,
        lambda: feed_create(kind=Kind.PATIENT, by=by, patient=patient),
        back=back,
        done="Link issued.",
    )


@login_required
@require_POST
@page_errors
def feed_rotate_page(request: HttpRequest, feed_id: int) -> HttpResponse:
    require(request.user, *STAFF, action="manage calendar feeds")
    by = acting_user(request)
    back = safe_next(request, reverse("my-calendar"))
    return _run(
        request, lambda: feed_rotate(feed_id=feed_id, by=by), back=back, done="Link rotated."
    )


@login_required
@require_POST
@page_errors
def feed_revoke_page(request: HttpRequest, feed_id: int) -> HttpResponse:
    require(request.user, *STAFF, action="manage calendar feeds")
    by = acting_user(request)
    back = safe_next(request, reverse("my-calendar"))
    return _run(
        request,
        lambda: feed_revoke(feed_id=feed_id, by=by),
        back=back,
        done="Link revoked: it no longer works.",
    )


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def my_calendar(request: HttpRequest) -> HttpResponse:
    """Your own staff feed per site: create, rotate, revoke."""
    require(request.user, *STAFF, action="have a calendar feed")
    by = acting_user(request)
    sites = user_sites(by)
    if request.method == "POST":
        site = pick_site(request, sites)
        return _run(
            request,
            lambda: feed_create(kind=Kind.STAFF, by=by, site=site),
            back=reverse("my-calendar"),
            done="Feed created.",
        )
    feeds = list(feeds_for(by).filter(kind=Kind.STAFF, user=by))
    active_sites = {f.site_id for f in feeds if f.revoked_at is None}
    return render(
        request,
        "scheduling/my_calendar.html",
        {
            "feeds": feeds,
            "sites_without_feed": [s for s in sites if s.pk not in active_sites],
            "next": reverse("my-calendar"),
        },
    )


@login_required
@require_POST
@page_errors
def site_feed_create(request: HttpRequest) -> HttpResponse:
    """A feed of the whole site or of one room or device of it (roles: `feed_create`)."""
    require(request.user, *STAFF, action="make site calendar feeds")
    by = acting_user(request)
    site = pick_site(request, user_sites(by))
    back = f"{reverse('site-page')}?site={site.pk}#feeds"
    # "site", or "resource:<id>" for one room or device of this site.
    target = request.POST.get("target", "")
    label = request.POST.get("label", "").strip()[:100]
    kind, _, raw_id = target.partition(":")
    resource: Resource | None = None
    if kind == Kind.RESOURCE:
        resource_id = _int(raw_id)
        if resource_id is not None:
            resource = Resource.objects.filter(site=site, pk=resource_id).first()
        if resource is None:
            raise Http404("No such room or device at this site.")
    elif target != Kind.SITE:
        messages.error(request, "Choose the whole site or a room or device.")
        return HttpResponseRedirect(back)
    return _run(
        request,
        lambda: feed_create(kind=kind, by=by, site=site, resource=resource, label=label),
        back=back,
        done="Feed created.",
    )


def _int(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None
