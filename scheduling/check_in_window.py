"""When a patient may be checked in: from a set time before the session's start, on the
session's own day at the site, until the session's end.

A session booked for 2030 could be checked in and started today; a check-in on the wrong day
starts the wrong day's clinical record. Outside the window the check-in is refused with the
window in the message; a clinician may override it with a reason, recorded in the session's
history (e.g. a patient who arrived early for the first session of the day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True)
class CheckInWindow:
    opens: dt.datetime
    closes: dt.datetime

    def contains(self, now: dt.datetime) -> bool:
        return self.opens <= now <= self.closes

    def describe(self, zone: ZoneInfo) -> str:
        opens, closes = self.opens.astimezone(zone), self.closes.astimezone(zone)
        return f"{opens:%A %d %B %Y, %H:%M} to {closes:%H:%M} ({zone.key})"


def check_in_window(
    *, start: dt.datetime, end: dt.datetime, zone: ZoneInfo, minutes_before: int | None = None
) -> CheckInWindow:
    """The window for a session [start, end) at a site in `zone`: it opens `minutes_before`
    the start (setting CHECK_IN_OPENS_MINUTES_BEFORE), never before local midnight of the
    session's day, and closes at the session's end."""
    if minutes_before is None:
        minutes_before = settings.CHECK_IN_OPENS_MINUTES_BEFORE
    local_start = start.astimezone(zone)
    # Midnight computed in local time, then converted: on a DST day it is still 00:00 local.
    midnight = dt.datetime.combine(local_start.date(), dt.time(0), tzinfo=zone)
    opens = max(start - dt.timedelta(minutes=minutes_before), midnight.astimezone(dt.UTC))
    return CheckInWindow(opens=opens, closes=end)
