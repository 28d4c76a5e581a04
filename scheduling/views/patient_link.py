"""The calendar feed (`/calendar/<token>.ics`) and the patient's page (`/p/<token>/`).

No login: the token is the authority. The same token opens the patient's page and their feed
(docs/feeds.md says why: the page shows nothing the feed does not, so one secret to keep, revoke
and rotate is simpler for a patient than two). An unknown, malformed or revoked token, or a staff
feed whose owner left the site, is the same plain 404, so a guess learns nothing.

The views are thin: selectors read (scheduling/feed_selectors.py), the pure builder writes the
iCalendar (scheduling/feeds.py), services change tokens (scheduling/feed_tokens.py).
"""

from __future__ import annotations

import datetime as dt

import segno
from csp.constants import SELF
from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from clinic import clock
from clinic.errors import DomainError, NotFound
from clinic.models import Closure, OpeningHours, Site
from scheduling.change_requests import (
    WEEKDAYS,
    change_request_create,
    open_requests_by_session,
    preferred_days_text,
)
from scheduling.feed_limits import FeedBuilding, feed_body_cached, feed_rate_retry_after
from scheduling.feed_selectors import (
    feed_by_token,
    feed_options,
    feed_sessions,
    feed_state,
    patient_page,
    patient_session,
)
from scheduling.feed_tokens import (
    companion_feed_create,
    companion_feed_revoke,
    patient_feed_set_alarm,
)
from scheduling.feeds import FeedOptions, FeedSession, event_text, feed_bytes
from scheduling.models import CalendarFeed, Session
from scheduling.selectors import site_calendar

CONTENT_TYPE = "text/calendar; charset=utf-8"
# Feeds and the page carry personal data: browsers and proxies must not share or keep them,
# search engines must not index them, and the token in the URL must not leak as a Referer.
PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
# The page itself is "same-origin", not "no-referrer": under no-referrer chromium sends
# `Origin: null` with the page's POST forms (driver links, reminder) and Django's CSRF check
# refuses them. same-origin leaks nothing here: the page makes no third-party request (its CSP
# is default-src 'none', the QR code is inline) and any link away from it carries no Referer;
# only our own origin sees the token-bearing URL, which it already has.
PAGE_REFERRER_POLICY = "same-origin"


def patient_page_policy(response: HttpResponse, *, scripts: bool = False) -> HttpResponse:
    """The patient pages' Content-Security-Policy, settings.PATIENT_PAGE_CSP, instead of the
    staff pages' (django-csp writes it; this is what its `csp_override` decorator sets).
    `scripts`: also run our own origin's script files (the new driver link's Copy and Share
    buttons, scheduling/static/scheduling/driver_link.js); never an inline one."""
    config = settings.PATIENT_PAGE_CSP
    if scripts:
        config = {**config, "script-src": [SELF]}
    response._csp_config = config  # type: ignore[attr-defined]
    return response


ALARM_CHOICES = (
    (0, "No reminder"),
    (30, "30 minutes before"),
    (60, "1 hour before"),
    (120, "2 hours before"),
    (1440, "The day before"),
)


def _not_found() -> HttpResponse:
    response = HttpResponseNotFound(b"Not found.\n", content_type="text/plain; charset=utf-8")
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


def _private(response: HttpResponse, cache: str = "private") -> HttpResponse:
    response["Cache-Control"] = cache
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed. Answers If-None-Match / If-Modified-Since with 304 after 3 queries (rate
    count, token, ETag); a body another request built for the same ETag comes from the shared
    cache; more than
    FEED_RATE_LIMIT requests per window for one token get 429 with Retry-After
    (scheduling/feed_limits.py)."""
    retry_after = feed_rate_retry_after(token=token)
    if retry_after is not None:
        limited = HttpResponse(
            "Too many requests for this calendar link; try again later.\n",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        limited["Retry-After"] = str(retry_after)
        return _private(limited)
    # The clinic's clock, as on the staff pages: a pinned CLINIC_NOW shows the feed (its
    # window, its ageing cancellations) of that moment, as the board shows its day.
    now = clock.now()
    feed = feed_by_token(token)
    if feed is None:
        return _not_found()
    state = feed_state(feed, now)
    not_modified = get_conditional_response(
        request, etag=state.etag, last_modified=int(state.last_modified.timestamp())
    )
    if not_modified is None:
        try:
            body = feed_body_cached(
                etag=state.etag,
                build=lambda: feed_bytes(feed_options(feed), feed_sessions(feed, now)),
            )
        except FeedBuilding as busy:
            # Another request is still building this very body: come back for it.
            waiting = HttpResponse(
                "This calendar is being prepared; try again shortly.\n",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            waiting["Retry-After"] = str(busy.retry_after)
            return _private(waiting)
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    else:
        response = not_modified
    response["ETag"] = state.etag
    response["Last-Modified"] = http_date(state.last_modified.timestamp())
    return _private(response)


def _patient_feed(token: str) -> CalendarFeed:
    feed = feed_by_token(token)
    if feed is None or feed.kind != CalendarFeed.Kind.PATIENT:
        raise Http404
    return feed


def _links(request: HttpRequest, token: str) -> dict[str, str]:
    https = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
    webcal = "webcal://" + https.split("://", 1)[1]
    return {"https": https, "webcal": webcal}


def _qr_svg(data: str) -> str:
    # Generated here, inline: the page makes no request to anyone else (no QR web service).
    svg: str = segno.make(data, error="m").svg_inline(scale=5, title="QR code of the link")
    # Safe: segno escapes the data it embeds (the title) and writes the rest itself.
    return mark_safe(svg)


def _when(options: FeedOptions, session: FeedSession) -> dict[str, object]:
    local = session.start.astimezone(options.zone)
    return {
        "session": session,
        "text": event_text(options, session),
        "day": local.strftime("%A %-d %B %Y"),
        "time": local.strftime("%H:%M"),
        "until": session.observation_end.astimezone(options.zone).strftime("%H:%M"),
        "arrive": (session.start - dt.timedelta(minutes=session.guidance.arrive_minutes_before))
        .astimezone(options.zone)
        .strftime("%H:%M"),
    }


def _upcoming(options: FeedOptions, sessions: list[FeedSession]) -> list[dict[str, object]]:
    # A course repeats the same arrangements for every session: say them in full once, then
    # only where they change, so the list stays readable on a phone.
    items: list[dict[str, object]] = []
    previous = None
    for session in sessions:
        item = _when(options, session)
        text = event_text(options, session)
        said = (text.arrange, text.bring)
        item["same_as_before"] = said == previous and any(said)
        if any(said):
            previous = said
        items.append(item)
    return items


PAST_LABELS = {
    "completed": "Attended",
    "no_show": "Missed",
    "cancelled": "Cancelled",
}


CLOSURE_DAYS = 14
DASH = "\N{EN DASH}"


def hours_text(hours: dict[int, tuple[dt.time, dt.time]]) -> str:
    """The week's opening hours in a line, runs of days with the same hours joined by an en
    dash: "Mon-Fri 08:00-18:00, Sat 09:00-13:00" ("" when none are set)."""
    parts: list[str] = []
    runs: list[tuple[int, int, tuple[dt.time, dt.time]]] = []
    for day in sorted(hours):
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == hours[day]:
            runs[-1] = (runs[-1][0], day, hours[day])
        else:
            runs.append((day, day, hours[day]))
    for first, last, (opens, closes) in runs:
        days = WEEKDAYS[first][:3]
        if last != first:
            days += DASH + WEEKDAYS[last][:3]
        parts.append(f"{days} {opens:%H:%M}{DASH}{closes:%H:%M}")
    return ", ".join(parts)


def _contact(site: Site, today: dt.date) -> dict[str, object]:
    """The clinic's phone, weekly hours and the days it is shut in the next CLOSURE_DAYS
    (closures and public holidays on days it would otherwise be open). 2 queries."""
    last = today + dt.timedelta(days=CLOSURE_DAYS)
    site._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "opening_hours": OpeningHours.objects.filter(site=site),
        "closures": Closure.objects.filter(site=site, date__gte=today, date__lte=last),
    }
    calendar = site_calendar(site, today, last)
    closed = []
    for offset in range(CLOSURE_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        reason = calendar.closed.get(day)
        if reason and day.weekday() in calendar.hours:
            closed.append({"day": day.strftime("%A %-d %B"), "reason": reason.split(": ", 1)[-1]})
    return {"phone": site.phone, "hours": hours_text(dict(calendar.hours)), "closed": closed}


def _upcoming_with_requests(
    items: list[dict[str, object]], feed: CalendarFeed, now: dt.datetime, zone: dt.tzinfo
) -> None:
    """Mark each upcoming item with the patient's open change request (if any) and whether it
    may still be asked to change (scheduled and not started: the service's own rule)."""
    asked = open_requests_by_session(patient_id=feed.patient_id or 0)
    for item in items:
        session = item["session"]
        assert isinstance(session, FeedSession)
        found = asked.get(session.id)
        item["change_request"] = found
        if found is not None:
            item["asked_on"] = found.created_at.astimezone(zone).strftime("%A %-d %B")
        item["changeable"] = session.status == Session.Status.SCHEDULED and session.start > now


def _page(
    request: HttpRequest,
    feed: CalendarFeed,
    token: str,
    *,
    new_companion: tuple[CalendarFeed, str] | None = None,
    error: str = "",
    status: int = 200,
    change_error: tuple[int, str] | None = None,
) -> HttpResponse:
    now = clock.now()
    options = feed_options(feed)
    data = patient_page(feed, now)
    links = _links(request, token)
    companion_links = None
    if new_companion is not None:
        companion_links = _links(request, new_companion[1])
        companion_links["qr"] = _qr_svg(companion_links["webcal"])
    alarm = feed.alarm_minutes if feed.alarm_minutes is not None else feed.site.feed_alarm_minutes
    upcoming = _upcoming(options, data.upcoming)
    _upcoming_with_requests(upcoming, feed, now, options.zone)
    context = {
        "feed": feed,
        "token": token,
        "site_place": options.location,
        "contact": _contact(feed.site, now.astimezone(options.zone).date()),
        "weekdays": WEEKDAYS,
        "change_error": change_error,
        "upcoming": upcoming,
        "past": [
            {**_when(options, s), "outcome": PAST_LABELS.get(s.status, "Not recorded yet")}
            for s in data.past
        ],
        "links": links,
        "qr": _qr_svg(links["webcal"]),
        "companions": data.companions,
        "new_companion": new_companion[0] if new_companion else None,
        "companion_links": companion_links,
        "alarm": alarm,
        "alarm_choices": ALARM_CHOICES,
        "uses_site_default": feed.alarm_minutes is None,
        "zone": options.zone.key,
        "error": error,
    }
    response = render(request, "patient/page.html", context, status=status)
    patient_page_policy(response, scripts=new_companion is not None)
    response = _private(response, "private, no-store")
    response["Referrer-Policy"] = PAGE_REFERRER_POLICY
    return response


@require_http_methods(["GET", "HEAD"])
def patient_home(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feed = _patient_feed(token)
    except Http404:
        return _not_found()
    return _page(request, feed, token)


@require_POST
def patient_companion_create(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feed = _patient_feed(token)
    except Http404:
        return _not_found()
    try:
        created = companion_feed_create(patient_feed=feed, label=request.POST.get("label", ""))
    except DomainError as exc:
        return _page(request, feed, token, error=exc.message, status=exc.status)
    # Rendered, not redirected: the companion's link is shown this once and never again.
    return _page(request, feed, token, new_companion=created)


@require_POST
def patient_change_request(request: HttpRequest, token: str, session_id: int) -> HttpResponse:
    """ "Ask to change this appointment": a request in the staff queue, nothing moves. A second
    ask while one is open is refused ("already asked"), so a double submit makes one row."""
    try:
        feed = _patient_feed(token)
    except Http404:
        return _not_found()
    preferred = preferred_days_text(
        weekdays=request.POST.getlist("days"), text=request.POST.get("preferred", "")
    )
    try:
        change_request_create(
            patient_feed=feed,
            session_id=session_id,
            reason=request.POST.get("reason", ""),
            preferred_days=preferred,
        )
    except NotFound:
        return _not_found()
    except DomainError as exc:
        return _page(
            request, feed, token, change_error=(session_id, exc.message), status=exc.status
        )
    return HttpResponseRedirect(reverse("patient-home", args=[token]) + f"#session-{session_id}")


@require_POST
def patient_companion_revoke(request: HttpRequest, token: str, feed_id: int) -> HttpResponse:
    try:
        feed = _patient_feed(token)
        companion_feed_revoke(patient_feed=feed, feed_id=feed_id)
    except (Http404, DomainError):
        return _not_found()
    return HttpResponseRedirect(reverse("patient-home", args=[token]) + "#companions")


@require_POST
def patient_reminder(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feed = _patient_feed(token)
    except Http404:
        return _not_found()
    raw = request.POST.get("alarm_minutes", "")
    try:
        minutes = None if raw == "default" else int(raw)
        patient_feed_set_alarm(patient_feed=feed, alarm_minutes=minutes)
    except (ValueError, DomainError):
        return _page(request, feed, token, error="Choose one of the reminder options.", status=422)
    return HttpResponseRedirect(reverse("patient-home", args=[token]) + "#reminder")


@require_http_methods(["GET", "HEAD"])
def patient_session_ics(request: HttpRequest, token: str, session_id: int) -> HttpResponse:
    """One session as a .ics download (same UID as in the feed, so no duplicate appears)."""
    try:
        feed = _patient_feed(token)
    except Http404:
        return _not_found()
    session = patient_session(feed, session_id)
    if session is None:
        return _not_found()
    body = feed_bytes(feed_options(feed), [session])
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    day = session.start.astimezone(feed.site.zone).date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="appointment-{day}.ics"'
    return _private(response, "private, no-store")
