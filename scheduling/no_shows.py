"""The nightly no-show sweep: sessions still `scheduled` after their day has ended are marked
no-show through the usual service, and the re-planning the protocol's missed-session rule
would do (a TMS make-up at the end of the course) is offered to staff as a pending
`ReplanOffer`, never applied silently: the patient may already have been rebooked by phone.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from clinic.clock import resolve_now
from clinic.models import Site
from scheduling.availability import local_day_bounds
from scheduling.models import Course, ReplanOffer, Session
from scheduling.session_cancellation import missed_session_adds_makeup, session_no_show
from scheduling.worker_actor import worker_user

REASON = "not checked in by the end of the day (marked by the nightly job)"
BATCH = 500


def no_shows_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Sessions still scheduled that started before today (each site's local date) and have
    ended: the whole day is over, so staff had their chance to check the patient in."""
    now = resolve_now(now)
    ids: list[int] = []
    for site in Site.objects.all():
        today_start = local_day_bounds(now.astimezone(site.zone).date(), site.zone)[0]
        ids += list(
            Session.objects.filter(
                site=site,
                status=Session.Status.SCHEDULED,
                start__lt=today_start,
                end__lt=now,
            )
            .order_by("start")
            .values_list("id", flat=True)[:BATCH]
        )
    return ids


def no_show_mark_overdue(
    *, session_id: int, now: dt.datetime | None = None
) -> tuple[Session, ReplanOffer | None] | None:
    """Mark one overdue session a no-show (without the automatic make-up) and offer the
    re-planning to staff. None when the session is gone or no longer scheduled."""
    now = resolve_now(now)
    session = Session.objects.select_related("course").filter(pk=session_id).first()
    if session is None or session.status != Session.Status.SCHEDULED or session.end >= now:
        return None
    by = worker_user()
    with transaction.atomic():
        change = session_no_show(
            session_id=session_id, by=by, reason=REASON, now=now, make_up=False
        )
        course = Course.objects.select_related("protocol").get(pk=session.course_id)
        offer = None
        if missed_session_adds_makeup(course) and course.status not in (
            Course.Status.COMPLETED,
            Course.Status.DISCONTINUED,
        ):
            offer, _ = ReplanOffer.objects.get_or_create(
                session_id=session_id,
                defaults={
                    "course": course,
                    "site_id": session.site_id,
                    "kind": ReplanOffer.Kind.APPEND_MAKEUP,
                    "created_at": now,
                },
            )
    return change.session, offer
