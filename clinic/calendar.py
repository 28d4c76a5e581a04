"""A site's calendar as plain data, for the planning engine (no Django import)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SiteCalendar:
    """When a site is open.

    hours: weekday (Monday=0) -> (opens, closes) in local wall-clock time; a missing weekday is a
    closed day. closed: date -> reason, for closures and public holidays.
    """

    zone: ZoneInfo
    hours: Mapping[int, tuple[dt.time, dt.time]]
    closed: Mapping[dt.date, str] = field(default_factory=dict)

    def closed_reason(self, day: dt.date) -> str | None:
        """Why the site is shut on `day`, or None when it is open."""
        reason = self.closed.get(day)
        if reason is not None:
            return reason
        if day.weekday() not in self.hours:
            return f"no opening hours on {day:%A}s"
        return None


def minute_of_day(t: dt.time | dt.datetime) -> int:
    """Minutes since midnight of a wall-clock time (of a datetime: in its own zone), the unit
    opening hours and preferred times are compared in."""
    return t.hour * 60 + t.minute
