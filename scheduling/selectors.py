"""Read-side queries for scheduling: course lists and details, the day board, availability.

Every selector is scoped to the user's sites (another site's rows are "not found") and issues a
fixed number of queries whatever the number of rows: lists use select_related/prefetch_related,
and availability loads all the holds it needs in one query before the pure computation in
scheduling/availability.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Max, Min, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from clinic import clock
from clinic.calendar import SiteCalendar
from clinic.error_codes import ERR_SITE_NOT_FOUND
from clinic.errors import InvalidInput, NotFound
from clinic.models import ROLES, Closure, OpeningHours, Resource, ResourceKind, Site
from clinic.permissions import filter_sites, require_role, require_site
from clinic.selectors import one_within_sites
from scheduling.availability import Slot, free_slots, local_day_bounds
from scheduling.error_codes import (
    ERR_COURSE_NOT_FOUND,
    ERR_INVALID_MINUTES,
    ERR_INVALID_RANGE,
    ERR_INVALID_STEP,
    ERR_OFFER_NOT_FOUND,
    ERR_RANGE_TOO_LONG,
    ERR_RESOURCE_NOT_FOUND,
    ERR_SESSION_NOT_FOUND,
    ERR_UNKNOWN_KIND,
)
from scheduling.models import Course, ReplanOffer, ResourceHold, Session

MAX_AVAILABILITY_DAYS = 31
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 720
DEFAULT_STEP_MINUTES = 15
REPLAN_OFFER_LIST_LIMIT = 500


def _site_for_user(user: User, site_id: int, *, prefetch: tuple[Any, ...] = ()) -> Site:
    require_site(user, site_id)
    site = Site.objects.prefetch_related(*prefetch).filter(pk=site_id).first()
    if site is None:
        raise NotFound("No such site.", code=ERR_SITE_NOT_FOUND)
    return site


def _holds_with_resources() -> Prefetch:
    return Prefetch(
        "holds",
        queryset=ResourceHold.objects.select_related("resource").order_by("start", "id"),
    )


# Courses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFilters:
    site_id: int | None = None
    patient_id: int | None = None
    status: str | None = None
    modality: str | None = None
    start_from: dt.date | None = None
    start_to: dt.date | None = None


def course_list(*, user: User, filters: CourseFilters) -> QuerySet[Course]:
    """Courses of the user's sites, newest start first, with session counts and first/last
    session start annotated (`sessions_total`, `sessions_done`, `first_start`, `last_start`).
    Cancelled and no-show sessions are left out of all but `sessions_done`: `sessions_total`
    counts the sessions in the diary, so done/total is the course's progress.

    `start_from`/`start_to` bound the course's start date (inclusive).
    """
    if filters.start_from and filters.start_to and filters.start_to < filters.start_from:
        raise InvalidInput("start_to: must not be before start_from", code=ERR_INVALID_RANGE)
    courses = filter_sites(Course.objects.all(), user)
    if filters.site_id is not None:
        require_site(user, filters.site_id)
        courses = courses.filter(site_id=filters.site_id)
    if filters.patient_id is not None:
        courses = courses.filter(patient_id=filters.patient_id)
    if filters.status:
        courses = courses.filter(status=filters.status)
    if filters.modality:
        courses = courses.filter(modality=filters.modality)
    if filters.start_from:
        courses = courses.filter(start_date__gte=filters.start_from)
    if filters.start_to:
        courses = courses.filter(start_date__lte=filters.start_to)
    # Correlated subqueries rather than JOIN + GROUP BY: the page's count() then stays a plain
    # count of courses, and the database computes the figures only for the rows of the page.
    of_course = Session.objects.filter(course_id=OuterRef("pk")).order_by().values("course_id")
    return (
        courses.select_related("patient", "protocol")
        .defer("protocol__spec")
        .annotate(
            sessions_total=_scalar(
                of_course.filter(active=True).annotate(n=Count("pk")).values("n"), 0
            ),
            sessions_done=_scalar(
                of_course.filter(status=Session.Status.COMPLETED)
                .annotate(n=Count("pk"))
                .values("n"),
                0,
            ),
            first_start=_scalar(of_course.filter(active=True).annotate(t=Min("start")).values("t")),
            last_start=_scalar(of_course.filter(active=True).annotate(t=Max("start")).values("t")),
        )
        .order_by("-start_date", "-id")
    )


def _scalar(subquery: QuerySet[Any], default: Any = None) -> Any:
    value = Subquery(subquery)
    return Coalesce(value, default) if default is not None else value


def course_get(*, user: User, course_id: int) -> Course:
    """A course with its sessions (by number) and their holds and resources: three queries."""
    return one_within_sites(
        Course.objects.select_related(
            "patient", "protocol", "site", "prescriber", "booked_by"
        ).prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.order_by("number").prefetch_related(
                    _holds_with_resources()
                ),
            )
        ),
        user=user,
        pk=course_id,
        code=ERR_COURSE_NOT_FOUND,
        what="course",
    )


# Day board ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    site: Site
    day: dt.date
    resource: Resource | None
    sessions: list[Session]


def day_board(*, user: User, site_id: int, day: dt.date, resource_id: int | None = None) -> Board:
    """The sessions starting on local `day` at the site (or holding one of its resources).

    The day runs from local midnight to the next local midnight, which is 23 or 25 hours on
    DST days: filtering by UTC date would show the evening's sessions on the wrong day.
    Queries: site, resource (when given), sessions with patient/course/protocol, holds.
    """
    site = _site_for_user(user, site_id)
    resource = None
    if resource_id is not None:
        resource = Resource.objects.filter(pk=resource_id, site_id=site.pk).first()
        if resource is None:
            raise NotFound(f"No resource {resource_id} at this site.", code=ERR_RESOURCE_NOT_FOUND)
    start, end = local_day_bounds(day, site.zone)
    sessions = Session.objects.filter(site_id=site.pk, start__gte=start, start__lt=end)
    if resource is not None:
        sessions = sessions.filter(
            pk__in=ResourceHold.objects.filter(resource_id=resource.pk).values("session_id")
        )
    rows = list(
        sessions.select_related("patient", "course__protocol")
        .defer("course__protocol__spec")
        .prefetch_related(_holds_with_resources())
        .order_by("start", "id")
    )
    return Board(site=site, day=day, resource=resource, sessions=rows)


# Availability -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    site: Site
    kind: str
    first: dt.date
    last: dt.date
    minutes: int
    step_minutes: int
    resources: list[Resource]
    slots: dict[int, list[Slot]]


def site_calendar(site: Site, first: dt.date, last: dt.date) -> SiteCalendar:
    """The site's calendar for `first`..`last`, from prefetched opening hours and closures."""
    hours = {h.weekday: (h.opens, h.closes) for h in site.opening_hours.all()}
    closed: dict[dt.date, str] = {
        day: f"public holiday: {name}"
        for day, name in site.public_holidays(first.year, last.year).items()
    }
    for closure in site.closures.all():
        closed[closure.date] = f"closed: {closure.reason}"
    return SiteCalendar(zone=site.zone, hours=hours, closed=closed)


def availability(
    *,
    user: User,
    site_id: int,
    kind: str,
    first: dt.date,
    last: dt.date,
    minutes: int,
    step_minutes: int | None = None,
    now: dt.datetime | None = None,
) -> Availability:
    """Free slots of `minutes` on each active resource of `kind` at the site, on local days
    `first`..`last`, within opening hours, off closures and holidays, clear of active holds,
    and not before `now`. Queries: site, opening hours, closures, resources, holds.
    """
    if kind not in ResourceKind.values:
        raise InvalidInput(
            f"kind: {kind!r} is not a resource kind; use one of {', '.join(ResourceKind.values)}",
            code=ERR_UNKNOWN_KIND,
        )
    if last < first:
        raise InvalidInput("end: must not be before start", code=ERR_INVALID_RANGE)
    days = (last - first).days + 1
    if days > MAX_AVAILABILITY_DAYS:
        raise InvalidInput(
            f"The range covers {days} days; ask for at most {MAX_AVAILABILITY_DAYS}.",
            code=ERR_RANGE_TOO_LONG,
        )
    if not MIN_SLOT_MINUTES <= minutes <= MAX_SLOT_MINUTES:
        raise InvalidInput(
            f"minutes: must be between {MIN_SLOT_MINUTES} and {MAX_SLOT_MINUTES}",
            code=ERR_INVALID_MINUTES,
        )
    step = step_minutes if step_minutes is not None else DEFAULT_STEP_MINUTES
    if not MIN_SLOT_MINUTES <= step <= MAX_SLOT_MINUTES:
        raise InvalidInput(
            f"step: must be between {MIN_SLOT_MINUTES} and {MAX_SLOT_MINUTES}",
            code=ERR_INVALID_STEP,
        )
    now = now or clock.now()
    site = _site_for_user(
        user,
        site_id,
        prefetch=(
            "opening_hours",
            Prefetch("closures", queryset=Closure.objects.filter(date__range=(first, last))),
        ),
    )
    calendar = site_calendar(site, first, last)
    resources = list(Resource.objects.filter(site_id=site.pk, kind=kind, active=True))
    range_start, _ = local_day_bounds(first, site.zone)
    _, range_end = local_day_bounds(last, site.zone)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {r.pk: [] for r in resources}
    holds = ResourceHold.objects.filter(
        resource__site_id=site.pk,
        resource__kind=kind,
        active=True,
        start__lt=range_end,
        end__gt=range_start,
    ).values_list("resource_id", "start", "end")
    for resource_id, start, end in holds:
        if resource_id in busy:
            busy[resource_id].append((start, end))
    slots = free_slots(
        calendar=calendar,
        resource_ids=[r.pk for r in resources],
        busy=busy,
        first=first,
        last=last,
        minutes=minutes,
        step_minutes=step,
        not_before=now,
    )
    return Availability(
        site=site,
        kind=kind,
        first=first,
        last=last,
        minutes=minutes,
        step_minutes=step,
        resources=resources,
        slots=slots,
    )


# One row within the reader's sites -----------------------------------------------------------


def session_for_reader(*, user: User, session_id: int) -> Session:
    """A session at one of the user's sites, with its course, protocol, site and patient;
    404 `session_not_found` for any other (existing or not). The one lookup of a session by
    id for a user: API handlers, staff pages and the lifecycle services alike."""
    return one_within_sites(
        Session.objects.select_related("course__protocol", "site", "patient"),
        user=user,
        pk=session_id,
        code=ERR_SESSION_NOT_FOUND,
        what="session",
    )


def course_for_reader(*, user: User, course_id: int) -> Course:
    """A course at one of the user's sites, with its protocol, site and patient; 404
    `course_not_found` for any other (existing or not). The one lookup of a course by id for a
    user (`course_get` adds its sessions and holds)."""
    return one_within_sites(
        Course.objects.select_related("protocol", "site", "patient"),
        user=user,
        pk=course_id,
        code=ERR_COURSE_NOT_FOUND,
        what="course",
    )


def course_session_get(*, course: Course, session_id: int) -> Session:
    """A session of `course`; 404 `session_not_found` for a session of any other course."""
    session = Session.objects.filter(pk=session_id, course=course).first()
    if session is None:
        raise NotFound(f"No session {session_id} in this course.", code=ERR_SESSION_NOT_FOUND)
    return session


# Resource grid ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridDay:
    board: Board
    resources: list[Resource]
    hours: tuple[dt.time, dt.time] | None  # opening hours that weekday, None when closed


def resource_grid(*, user: Any, site_id: int, day: dt.date) -> GridDay:
    """The day board plus the site's resources and that weekday's opening hours: the day
    board's queries and two more, however many sessions and resources."""
    board = day_board(user=user, site_id=site_id, day=day)
    resources = list(
        Resource.objects.filter(site_id=site_id, active=True).order_by("kind", "name", "id")
    )
    row = OpeningHours.objects.filter(site_id=site_id, weekday=day.weekday()).first()
    return GridDay(board, resources, (row.opens, row.closes) if row else None)


# Re-planning offers (the nightly no-show job) ------------------------------------------------


def _replan_offers(user: User) -> QuerySet[ReplanOffer]:
    require_role(user, *ROLES, action="read re-planning offers")
    return filter_sites(ReplanOffer.objects.select_related("session__patient", "decided_by"), user)


def replan_offer_list(*, user: User, status: str, site_id: int | None) -> list[ReplanOffer]:
    """Offers at the user's sites with `status` ("all" for any), newest first, at most
    REPLAN_OFFER_LIST_LIMIT."""
    qs = _replan_offers(user)
    if status != "all":
        qs = qs.filter(status=status)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    return list(qs.order_by("-created_at", "-id")[:REPLAN_OFFER_LIST_LIMIT])


def replan_offer_for_reader(*, user: User, offer_id: int) -> ReplanOffer:
    """An offer at one of the user's sites, with what its Out shape reads; 404
    `offer_not_found` for any other (existing or not)."""
    offer = _replan_offers(user).filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(f"No re-planning offer {offer_id}.", code=ERR_OFFER_NOT_FOUND)
    return offer
