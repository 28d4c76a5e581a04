"""Cancelled sessions leaving calendar feeds: the write that makes Last-Modified move.

A feed keeps a cancelled session, marked cancelled, for its site's `feed_cancelled_days` after
the cancellation, then leaves it out (`feed_session_queryset` decides at read time). Nothing is
written when that happens, so no `updated_at` moves: the ETag changes (it counts the sessions)
but Last-Modified does not, and a calendar client that revalidates with If-Modified-Since only
would get 304 and keep showing the dropped event. `feed_expiry_mark` (run hourly by
`scheduling.tasks.expire_cancelled_feed_entries`) sets `CalendarFeed.content_changed_at` on each
live feed that lost such a session, and `feed_state` includes it in Last-Modified.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from clinic.clock import wall_now
from clinic.models import Site
from scheduling.feed_selectors import PAST_DAYS
from scheduling.models import CalendarFeed, Course, Session

Kind = CalendarFeed.Kind


def feed_expiry_mark(*, now: dt.datetime | None = None) -> int:
    """Set `content_changed_at = now` on every live feed that has lost a cancelled session
    since its content last changed (or since it was created); returns how many feeds.

    Which feeds held the session follows `feed_session_queryset`: the patient's patient and
    companion feeds, the site's feed, the feeds of the rooms it held, and the staff feeds of its
    prescriber and of the site's staff with no assigned course there. Two queries whatever the
    number of sites, feeds and sessions (the sites' retention periods, one UPDATE). Idempotent:
    a second run finds no session that dropped out after the stamp the first one wrote.
    """
    # Real time: compared with `auto_now` stamps, and it moves HTTP Last-Modified.
    now = now or wall_now()
    # A session held by the feed since `since` left it in (since, now]: it was cancelled (last
    # changed) within that window shifted back by the site's retention period, and its start
    # was still inside the feed's PAST_DAYS window when it dropped out.
    since = Coalesce(OuterRef("content_changed_at"), OuterRef("created_at"))
    dropped_out = Q(pk__in=[])
    for site_id, days in Site.objects.values_list("id", "feed_cancelled_days"):
        keep = dt.timedelta(days=days)
        dropped_out |= Q(
            site_id=site_id,
            updated_at__lt=now - keep,
            updated_at__gt=since - Value(keep),
            start__gte=F("updated_at") + Value(keep - dt.timedelta(days=PAST_DAYS)),
        )
    dropped = Session.objects.filter(dropped_out, status=Session.Status.CANCELLED)
    at_site = Exists(dropped.filter(site_id=OuterRef("site_id")))
    affected = Q(kind__in=[Kind.PATIENT, Kind.COMPANION]) & Q(
        Exists(dropped.filter(patient_id=OuterRef("patient_id")))
    )
    affected |= Q(kind=Kind.SITE) & Q(at_site)
    affected |= Q(kind=Kind.RESOURCE) & Q(
        Exists(dropped.filter(holds__resource_id=OuterRef("resource_id")))
    )
    assigned = Course.objects.filter(site_id=OuterRef("site_id"), prescriber_id=OuterRef("user_id"))
    affected |= Q(kind=Kind.STAFF) & (
        Q(
            Exists(
                dropped.filter(
                    site_id=OuterRef("site_id"), course__prescriber_id=OuterRef("user_id")
                )
            )
        )
        | (Q(at_site) & ~Q(Exists(assigned)))
    )
    with transaction.atomic():
        return (
            CalendarFeed.objects.filter(affected, revoked_at__isnull=True)
            .exclude(content_changed_at__gte=now)
            .update(content_changed_at=now)
        )
