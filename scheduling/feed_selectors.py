"""Reads for calendar feeds and the patient page, in a constant number of queries.

A feed request costs: the token lookup (1 query: the feed, its site and owner, and whether a
staff owner still works at the site with a staff role), the feed's state (1 aggregate query:
how many sessions, their latest change), and only when the caller has no fresh copy, the
sessions (1), their rooms (1) and their protocols' patient guidance (1): 5 queries for 5 or
500 sessions, 2 for a 304 (tests/scheduling/test_patient_link.py counts them).

Which sessions a feed holds (`feed_session_queryset`):
* patient and companion feeds: the patient's sessions;
* staff feeds: at the feed's site, the sessions of courses the person prescribes (their
  assignments); a nurse, scheduler or clinician with no assigned course there gets all the
  site's sessions (nurses and clinicians work every session of their site);
* room feeds: sessions holding the room; site feeds: every session of the site.
In every feed: sessions from `PAST_DAYS` ago on, and cancelled sessions only until the site's
`feed_cancelled_days` after they were cancelled (their last change).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from pydantic import ValidationError

from clinic.models import ROLE_ADMIN, ROLES, Site
from clinic.permissions import user_roles, user_site_ids
from clinic.tokens import hash_token
from protocols.models import Protocol
from protocols.spec import PatientGuidance
from scheduling.feed_tokens import PATIENT_FEED_ROLES, STAFF_ROLES, token_well_formed
from scheduling.feeds import FeedOptions, FeedSession, Guidance
from scheduling.models import CalendarFeed, Course, ResourceHold, Session

Kind = CalendarFeed.Kind
S = Session.Status

PAST_DAYS = 90
REFRESH = dt.timedelta(hours=1)

_SESSION_FIELDS = (
    "id",
    "start",
    "end",
    "observation_end",
    "status",
    "sequence",
    "updated_at",
    "number",
    "phase",
    "course_id",
    "course__protocol_id",
    "course__modality",
    "patient__given_name",
    "patient__family_name",
    "patient__mrn",
)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the conditional GET compares: changes whenever the feed's bytes would."""

    etag: str
    last_modified: dt.datetime


def feed_by_token(token: str) -> CalendarFeed | None:
    """The live feed for `token`, or None (unknown, malformed, revoked, or a staff owner who no
    longer works at the site): the caller answers all of these with the same 404."""
    if not token_well_formed(token):
        return None
    membership = User.sites.through.objects.filter(
        site_id=OuterRef("site_id"), user_id=OuterRef("user_id")
    )
    role = User.groups.through.objects.filter(user_id=OuterRef("user_id"), group__name__in=ROLES)
    feed = (
        CalendarFeed.objects.select_related("site", "patient", "user", "resource")
        .annotate(owner_member=Exists(membership), owner_role=Exists(role))
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return None
    if feed.kind == Kind.STAFF:
        user = feed.user
        assert user is not None
        allowed = user.is_superuser or (feed.owner_member and feed.owner_role)
        if not user.is_active or not allowed:
            return None
    return feed


def owner_patient_id(feed: CalendarFeed) -> int:
    """The patient of a patient or companion feed (the database constraint guarantees one)."""
    assert feed.patient_id is not None
    return feed.patient_id


def feed_session_queryset(feed: CalendarFeed, now: dt.datetime) -> QuerySet[Session]:
    """The sessions `feed` shows (before the companion filter, which reads protocol data)."""
    sessions = Session.objects.all()
    if feed.kind in (Kind.PATIENT, Kind.COMPANION):
        sessions = sessions.filter(patient_id=owner_patient_id(feed))
    elif feed.kind == Kind.STAFF:
        assigned = Course.objects.filter(site_id=feed.site_id, prescriber_id=feed.user_id)
        sessions = sessions.filter(site_id=feed.site_id).filter(
            Q(course__prescriber_id=feed.user_id) | ~Exists(assigned)
        )
    elif feed.kind == Kind.RESOURCE:
        assert feed.resource_id is not None
        holding = ResourceHold.objects.filter(resource_id=feed.resource_id)
        sessions = sessions.filter(id__in=holding.values("session_id"))
    else:
        sessions = sessions.filter(site_id=feed.site_id)
    cancelled_until = now - dt.timedelta(days=feed.site.feed_cancelled_days)
    return sessions.filter(
        start__gte=now - dt.timedelta(days=PAST_DAYS), start__lt=feed_window_end(feed.site, now)
    ).exclude(status=S.CANCELLED, updated_at__lt=cancelled_until)


def feed_window_end(site: Site, now: dt.datetime) -> dt.datetime:
    """Where a feed stops: the start of the site's local day `Site.feed_future_months` months
    ahead (a 10,000-session site's feed was 5.8 MB and took 7 s to build unbounded). Months
    are calendar months in the site's zone: 31 Jan + 1 month is 28 (or 29) Feb."""
    local = now.astimezone(site.zone).date()
    total = local.month - 1 + site.feed_future_months
    year, month = local.year + total // 12, total % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return dt.datetime.combine(dt.date(year, month, day), dt.time(0), site.zone)


def feed_state(feed: CalendarFeed, now: dt.datetime) -> FeedState:
    """ETag and Last-Modified of the feed, in one aggregate query."""
    agg = feed_session_queryset(feed, now).aggregate(
        count=Count("id"), changed=Max("updated_at"), people=Max("patient__updated_at")
    )
    site = feed.site
    # content_changed_at: a cancelled session left the feed after its retention period, which
    # changes no session row (scheduling/feed_expiry.py).
    stamps = [
        t
        for t in (agg["changed"], agg["people"], feed.updated_at, feed.content_changed_at)
        if t is not None
    ]
    last_modified = max(stamps)
    # Everything the bytes depend on: the sessions (count and latest change; a session leaving
    # the window lowers the count), patients' names, the feed's own settings and the site's.
    key = "|".join(
        str(part)
        for part in (
            feed.pk,
            feed.kind,
            feed.token_hash[:16],
            feed.updated_at.isoformat(),
            feed.content_changed_at,
            agg["count"],
            agg["changed"],
            agg["people"],
            site.name,
            site.timezone,
            site.patient_location_text,
            site.address,
            site.patient_feed_shows_treatment,
            site.staff_feed_shows_full_names,
            site.feed_alarm_minutes,
            site.feed_future_months,
            # The patient's own reminder choice: the body (and so its cache entry) depends on it.
            feed.alarm_minutes,
            feed.resource.name if feed.resource else "",
            feed.user.get_full_name() if feed.user else "",
            settings.CALENDAR_UID_DOMAIN,
        )
    )
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    return FeedState(etag=etag, last_modified=last_modified)


def site_patient_place(site: Site) -> str:
    """Where a patient goes, in words fit for a lock screen: the site's patient-facing place
    text, else its address on one line, else "The clinic". Never the site's own name, which
    can say what the clinic treats. Feeds and the reminder email both say this."""
    address = " ".join(site.address.split())
    return site.patient_location_text or address or "The clinic"


def patient_location(feed: CalendarFeed) -> str:
    return site_patient_place(feed.site)


def feed_options(feed: CalendarFeed) -> FeedOptions:
    """How `feed` reads (scheduling/feeds.py): its kind, name, zone and the site's settings."""
    site = feed.site
    alarm = 0
    if feed.kind in (Kind.PATIENT, Kind.COMPANION):
        alarm = feed.alarm_minutes if feed.alarm_minutes is not None else site.feed_alarm_minutes
    if feed.kind == Kind.PATIENT:
        name = "Clinic appointments"
    elif feed.kind == Kind.COMPANION:
        name = "Pick-ups"
    elif feed.kind == Kind.STAFF:
        assert feed.user is not None
        name = f"{site.name}: {feed.user.get_full_name() or feed.user.get_username()}"
    elif feed.kind == Kind.RESOURCE:
        assert feed.resource is not None
        name = f"{site.name}: {feed.resource.name}"
    else:
        name = site.name
    return FeedOptions(
        kind=feed.kind,  # type: ignore[arg-type]
        name=name,
        zone=site.zone,
        uid_domain=settings.CALENDAR_UID_DOMAIN,
        location=patient_location(feed),
        show_treatment=site.patient_feed_shows_treatment,
        show_full_names=site.staff_feed_shows_full_names,
        alarm_minutes=alarm,
        refresh=REFRESH,
    )


def _guidance(spec: Any) -> Guidance:
    try:
        parsed = PatientGuidance.model_validate((spec or {}).get("patient", {}))
    except ValidationError:
        # A spec is validated when saved; a row edited around the services gets the default.
        parsed = PatientGuidance()
    return Guidance(
        arrive_minutes_before=parsed.arrive_minutes_before,
        arrange=tuple(parsed.arrange),
        bring=tuple(parsed.bring),
        no_driving_after=parsed.no_driving_after,
        pickup_note=parsed.pickup_note,
    )


def load_feed_sessions(sessions: QuerySet[Session]) -> list[FeedSession]:
    """`sessions` as FeedSessions, in start order: 3 queries whatever their number (sessions,
    their holds, their protocols), from plain values rather than model instances."""
    rows = list(sessions.order_by("start", "id").values(*_SESSION_FIELDS))
    if not rows:
        return []
    rooms: dict[int, list[str]] = defaultdict(list)
    holds = (
        ResourceHold.objects.filter(session_id__in=sessions.values("id"))
        .order_by("session_id", "start", "resource__name")
        .values_list("session_id", "resource__name")
    )
    for session_id, name in holds:
        if name not in rooms[session_id]:
            rooms[session_id].append(name)
    protocol_ids = {row["course__protocol_id"] for row in rows}
    protocols = {
        pk: (name, _guidance(spec))
        for pk, name, spec in Protocol.objects.filter(pk__in=protocol_ids).values_list(
            "pk", "name", "spec"
        )
    }
    out = []
    for row in rows:
        protocol_name, guidance = protocols[row["course__protocol_id"]]
        out.append(
            FeedSession(
                id=row["id"],
                course_id=row["course_id"],
                start=row["start"],
                end=row["end"],
                observation_end=row["observation_end"],
                status=row["status"],
                sequence=row["sequence"],
                updated_at=row["updated_at"],
                number=row["number"],
                phase=row["phase"],
                protocol_name=protocol_name,
                modality=row["course__modality"],
                patient_given_name=row["patient__given_name"],
                patient_family_name=row["patient__family_name"],
                patient_reference=row["patient__mrn"],
                rooms=tuple(rooms.get(row["id"], ())),
                guidance=guidance,
            )
        )
    return out


def feed_sessions(feed: CalendarFeed, now: dt.datetime) -> list[FeedSession]:
    """The sessions of `feed`, ready for scheduling.feeds.feed_calendar."""
    return load_feed_sessions(feed_session_queryset(feed, now))


# --- the patient page ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatientPage:
    upcoming: list[FeedSession]
    past: list[FeedSession]
    companions: list[CalendarFeed]


def patient_page(feed: CalendarFeed, now: dt.datetime) -> PatientPage:
    """What the patient page shows: upcoming sessions (as the feed has them, cancelled ones
    within the site's retention), the past sessions of the current course, and the patient's
    live companion feeds. 5 queries (two session loads, one feed list)."""
    mine = feed_session_queryset(feed, now)
    upcoming = load_feed_sessions(mine.filter(observation_end__gte=now))
    if upcoming:
        course_filter = Q(course_id=upcoming[0].course_id)
    else:
        latest = (
            Course.objects.filter(patient_id=owner_patient_id(feed))
            .order_by("-start_date", "-id")
            .values("id")[:1]
        )
        course_filter = Q(course_id__in=latest)
    past = load_feed_sessions(
        Session.objects.filter(
            course_filter, patient_id=owner_patient_id(feed), observation_end__lt=now
        )
    )
    past.reverse()
    companions = list(
        CalendarFeed.objects.filter(
            patient_id=owner_patient_id(feed), kind=Kind.COMPANION, revoked_at__isnull=True
        ).order_by("created_at", "id")
    )
    return PatientPage(upcoming=upcoming, past=past, companions=companions)


def patient_session(feed: CalendarFeed, session_id: int) -> FeedSession | None:
    """One of the feed's patient's sessions (None for anyone else's)."""
    found = load_feed_sessions(
        Session.objects.filter(pk=session_id, patient_id=owner_patient_id(feed))
    )
    return found[0] if found else None


def feeds_for(by: User) -> QuerySet[CalendarFeed]:
    """Feeds `by` may manage (the same rule as scheduling.feed_tokens.feed_manageable)."""
    roles = user_roles(by)
    feeds = CalendarFeed.objects.select_related("site", "patient", "user", "resource")
    if not roles:
        return feeds.none()
    sites = user_site_ids(by)
    if sites is not None:
        feeds = feeds.filter(site_id__in=sites)
    if ROLE_ADMIN in roles:
        return feeds
    allowed = Q(kind=Kind.STAFF, user_id=by.pk)
    if roles.intersection(PATIENT_FEED_ROLES):
        allowed |= Q(kind__in=[Kind.PATIENT, Kind.COMPANION])
    if roles.intersection(STAFF_ROLES):
        allowed |= Q(kind__in=[Kind.RESOURCE, Kind.SITE])
    return feeds.filter(allowed)
