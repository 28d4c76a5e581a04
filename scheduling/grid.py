"""Lay out a day's resource holds as a grid: resources across, time down in 5-minute rows.
Pure: takes the loaded sessions (with their holds) and returns placed blocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from clinic.models import Resource
from scheduling.models import Session

ROW_MINUTES = 5
TICK_MINUTES = 30


@dataclass(frozen=True)
class Block:
    session: Session
    part: str  # procedure | observation
    column: int
    row_start: int
    row_end: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Tick:
    row: int
    label: str


@dataclass(frozen=True)
class Grid:
    resources: list[Resource]
    rows: int
    ticks: list[Tick]
    blocks: list[Block]
    first: dt.datetime
    last: dt.datetime


def _floor(t: dt.datetime, minutes: int) -> dt.datetime:
    return t.replace(minute=t.minute - t.minute % minutes, second=0, microsecond=0)


def build_grid(
    *,
    day: dt.date,
    zone: ZoneInfo,
    sessions: list[Session],
    resources: list[Resource],
    hours: tuple[dt.time, dt.time] | None,
) -> Grid:
    """The grid spans the opening hours, widened to every hold of the day (a session running
    late still shows). Column 1 is the time axis; resource i is column i + 2. Rows count in
    wall-clock minutes from the first row, so a DST change inside the span would shift
    (clinics are closed at 02:00-03:00, when it happens)."""
    opens, closes = hours or (dt.time(8, 0), dt.time(18, 0))
    first = dt.datetime.combine(day, opens, tzinfo=zone)
    last = dt.datetime.combine(day, closes, tzinfo=zone)
    holds = [
        (s, h) for s in sessions for h in s.holds.all() if h.active or s.status in Session.INACTIVE
    ]
    for _s, h in holds:
        first = min(first, h.start.astimezone(zone))
        last = max(last, h.end.astimezone(zone))
    first = _floor(first, TICK_MINUTES)
    columns = {r.pk: i + 2 for i, r in enumerate(resources)}
    extra = [h.resource for _s, h in holds if h.resource_id not in columns]
    for r in extra:
        if r.pk not in columns:
            columns[r.pk] = len(columns) + 2
            resources = [*resources, r]

    def row(t: dt.datetime) -> int:
        local = t.astimezone(zone).replace(tzinfo=None)
        return int((local - first.replace(tzinfo=None)).total_seconds() // 60 // ROW_MINUTES) + 2

    rows = row(last) - 1
    blocks = [
        Block(
            session=s,
            part=h.part,
            column=columns[h.resource_id],
            row_start=row(h.start),
            row_end=max(row(h.end), row(h.start) + 1),
            start=h.start.astimezone(zone),
            end=h.end.astimezone(zone),
        )
        for s, h in holds
        # A cancelled session no longer holds its resource: shown only on the board, so the
        # grid's empty space is really free.
        if h.active
    ]
    ticks = []
    t = first
    while t < last:
        ticks.append(Tick(row(t), f"{t:%H:%M}"))
        t += dt.timedelta(minutes=TICK_MINUTES)
    return Grid(resources, rows, ticks, blocks, first, last)
