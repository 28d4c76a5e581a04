"""Free slots on a site's resources: pure computation, no ORM.

The caller loads the site calendar, the resources of one kind and their busy intervals (active
resource holds) in a few queries; this module does the rest in memory.

How one resource's day is cut into slots, by example (opening 08:00-12:00, 60-minute slots,
15-minute step, one hold 09:30-10:20):

    grid:  08:00 08:15 08:30 ... (every `step` minutes from opening)
    free:  08:00-09:30 and 10:20-12:00
    slots: 08:00 08:15 08:30        (each ends by 09:30)
           10:30 10:45 11:00        (10:20 is off the grid: the next grid start after it)

Time: opening and closing are wall-clock times in the site's zone, turned into UTC instants per
day, so opening at 08:00 stays 08:00 local across a DST change. Slots step through elapsed time
from that instant: on a day when the clocks change inside opening hours the window is an hour
shorter or longer and slot lengths stay true durations.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from clinic.calendar import SiteCalendar

UTC = dt.UTC


@dataclass(frozen=True, slots=True)
class Slot:
    resource_id: int
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC


@dataclass(frozen=True, slots=True)
class OpenWindow:
    day: dt.date  # local date
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC


def local_day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where local `day` begins and the next day begins.

    Not always 24 hours apart: 23 on the spring-forward day, 25 in the autumn.
    """
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def open_windows(calendar: SiteCalendar, first: dt.date, last: dt.date) -> list[OpenWindow]:
    """Opening hours of each open local day from `first` to `last` (inclusive), in UTC."""
    windows: list[OpenWindow] = []
    day = first
    while day <= last:
        if calendar.closed_reason(day) is None:
            opens, closes = calendar.hours[day.weekday()]
            start = dt.datetime.combine(day, opens, tzinfo=calendar.zone).astimezone(UTC)
            end = dt.datetime.combine(day, closes, tzinfo=calendar.zone).astimezone(UTC)
            if end > start:
                windows.append(OpenWindow(day=day, start=start, end=end))
        day += dt.timedelta(days=1)
    return windows


def merge_intervals(
    intervals: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Sorted, non-overlapping union of half-open intervals (touching ones are joined)."""
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _slots_in_gap(
    resource_id: int,
    gap_start: dt.datetime,
    gap_end: dt.datetime,
    origin: dt.datetime,
    length: dt.timedelta,
    step: dt.timedelta,
) -> list[Slot]:
    # First grid point (origin + k*step) at or after gap_start.
    k = -((origin - gap_start) // step) if gap_start > origin else 0
    start = origin + k * step
    out: list[Slot] = []
    while start + length <= gap_end:
        out.append(Slot(resource_id=resource_id, start=start, end=start + length))
        start += step
    return out


def free_slots(
    *,
    calendar: SiteCalendar,
    resource_ids: Sequence[int],
    busy: Mapping[int, Iterable[tuple[dt.datetime, dt.datetime]]],
    first: dt.date,
    last: dt.date,
    minutes: int,
    step_minutes: int,
    not_before: dt.datetime | None = None,
) -> dict[int, list[Slot]]:
    """Free slots of `minutes` per resource, local days `first`..`last` inclusive.

    busy: resource id -> (start, end) UTC intervals the resource is held (half-open, so a slot
    may start exactly when a hold ends). Slots start on a grid of `step_minutes` from each day's
    opening time and never start before `not_before` (usually "now").
    Returns every resource id of `resource_ids` as a key, in order, with its slots by start.
    """
    if minutes <= 0 or step_minutes <= 0:
        raise ValueError("minutes and step_minutes must be positive")
    length = dt.timedelta(minutes=minutes)
    step = dt.timedelta(minutes=step_minutes)
    windows = open_windows(calendar, first, last)
    result: dict[int, list[Slot]] = {}
    for rid in resource_ids:
        intervals = merge_intervals(busy.get(rid, ()))
        ends = [end for _, end in intervals]
        slots: list[Slot] = []
        for window in windows:
            cursor = window.start
            if not_before is not None and not_before > cursor:
                cursor = not_before
            # Skip holds that end before this window; walk those that overlap it.
            i = bisect_left(ends, cursor)
            while cursor < window.end:
                if i < len(intervals) and intervals[i][0] < window.end:
                    hold_start, hold_end = intervals[i]
                    gap_end = min(hold_start, window.end)
                    if gap_end > cursor:
                        slots.extend(
                            _slots_in_gap(rid, cursor, gap_end, window.start, length, step)
                        )
                    cursor = max(cursor, hold_end)
                    i += 1
                else:
                    slots.extend(_slots_in_gap(rid, cursor, window.end, window.start, length, step))
                    break
        result[rid] = slots
    return result
