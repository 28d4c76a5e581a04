"""The service's notion of "now", injectable so tests can travel in time (`now`, the clinic
clock; `wall_now`, the real one for the machinery), and the check that a datetime from outside
carries its UTC offset. The only module that asks django.utils.timezone for the time
(tests/clinic/test_one_clock.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clinic.error_codes import ERR_NAIVE_DATETIME
from clinic.errors import InvalidInput


def resolve_now(given: dt.datetime | None) -> dt.datetime:
    """`given` when a caller (a page, a test, a task replaying a moment) gives one, else the
    clinic clock, `now()`: so an API call honours the CLINIC_NOW pin as the pages do."""
    return given if given is not None else now()


def wall_now() -> dt.datetime:
    """The real instant, never pinned. For what measures real elapsed time or stamps the
    machinery rather than the clinic's day: API and feed token use, rotation and revocation;
    worker heartbeats and reminder claims (judged against django-q2's real task timeout);
    django-q2 schedules; the feed stamps that move HTTP Last-Modified beside `auto_now` ones.
    Everything else asks `now()`."""
    return timezone.now()


def require_aware(value: dt.datetime, name: str) -> dt.datetime:
    """Refuse a naive datetime: a bare 09:00 could be any of the site's two offsets a year."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must include a UTC offset, e.g. 2026-12-01T09:00:00-05:00 or ...Z.",
            code=ERR_NAIVE_DATETIME,
        )
    return value


def ceil_minute(when: dt.datetime) -> dt.datetime:
    """`when` rounded up to the whole minute. A refusal that names the earliest allowed time
    shows minutes: rounded down, "not before 16:08" read at 16:08:56 (allowed at 16:08:59)
    would name a minute that has already begun."""
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + dt.timedelta(minutes=1)


def utc_iso(when: dt.datetime) -> str:
    """An instant as the API writes it: ISO 8601 in UTC with `Z` (docs/api/README.md)."""
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def now() -> dt.datetime:
    """The clinic's current instant: what pages, API handlers, services, tasks and commands
    judge by (pages pass it to the services as `now`; `resolve_now` falls back to it).

    Normally the real time. `settings.CLINIC_NOW` (an aware datetime or ISO 8601 string) pins
    it: the browser tests move the clock past the 2-hour esketamine observation this way, and
    the screenshot script photographs a fixed day. settings.py reads CLINIC_NOW from the
    environment only when DEBUG is on, so a production server always runs on the real clock.
    """
    from django.conf import settings

    pinned = getattr(settings, "CLINIC_NOW", None)
    if pinned is None:
        return wall_now()
    if isinstance(pinned, str):
        pinned = dt.datetime.fromisoformat(pinned)
    if pinned.tzinfo is None:
        raise ValueError("CLINIC_NOW must carry its UTC offset")
    return pinned
