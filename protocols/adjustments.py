"""What a plan or a booking changed from what was asked, and why: pure (plain data, no ORM).

A booker asks for a start day and a local time. The engine may start later (the day is a public
holiday, the site is shut that weekday, the hours are too short) or earlier in the day (the
block would run past closing); the placer may then nudge a session's time or day (the time has
passed, a resource or the patient is busy) and later sessions slide with it (spacing rules).
`adjustments` compares the engine's plan for the requested start with what was placed and
lists every session that is not where it was asked, each with a reason code and a sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from protocols.engine import SKIP_CLOSED, SKIP_SHORT_HOURS, PlannedSession

HOLIDAY = "holiday"
CLOSED_DAY = "closed_day"
OPENING_HOURS = "opening_hours"
TIME_PASSED = "time_passed"
RESOURCE_BUSY = "resource_busy"
PATIENT_BUSY = "patient_busy"
SPACING_RULE = "spacing_rule"
REASON_CODES = (
    HOLIDAY,
    CLOSED_DAY,
    OPENING_HOURS,
    TIME_PASSED,
    RESOURCE_BUSY,
    PATIENT_BUSY,
    SPACING_RULE,
)
# clinic.models.Site.calendar names a public holiday this way in SiteCalendar.closed.
HOLIDAY_PREFIX = "public holiday: "


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # one of REASON_CODES
    text: str


@dataclass(frozen=True, slots=True)
class Adjustment:
    """Session `number` was asked for `requested_day` at `requested_time` (local) and placed on
    `placed_day` at `placed_time` (local)."""

    number: int
    requested_day: dt.date
    requested_time: dt.time
    placed_day: dt.date
    placed_time: dt.time
    reason_code: str
    reason: str


def skip_reason(day: dt.date, skips: Mapping[dt.date, str]) -> Reason:
    """Why the engine did not take `day` (from plan_course's `skips`)."""
    why = skips.get(day)
    if why is None:
        return Reason(SPACING_RULE, f"the protocol does not treat on {day:%A} {day}")
    if why.startswith(HOLIDAY_PREFIX):
        return Reason(HOLIDAY, f"{day} is a public holiday ({why.removeprefix(HOLIDAY_PREFIX)})")
    if why == SKIP_CLOSED:
        return Reason(CLOSED_DAY, f"the site is closed on {day:%A}s")
    if why == SKIP_SHORT_HOURS:
        return Reason(OPENING_HOURS, f"the opening hours on {day} are too short")
    if why.startswith("closed"):
        return Reason(CLOSED_DAY, f"the site is {why} on {day}")
    return Reason(SPACING_RULE, f"{day}: {why}")


def adjustments(
    *,
    start: dt.date,
    preferred: dt.time,
    planned: Sequence[PlannedSession],
    skips: Mapping[dt.date, str],
    placed: Sequence[tuple[int, dt.datetime]],
    placer_reasons: Mapping[int, Reason] | None = None,
) -> list[Adjustment]:
    """Every placed session away from what was asked, with why.

    planned: the engine's plan for the requested start (its `skips` alongside); placed:
    (number, local start) of each session as booked; placer_reasons: why the placer moved a
    session off its planned time (scheduling/placement.py). Session 1 was asked for `start` at
    `preferred`; every later session for its time in the plan.
    """
    reasons = placer_reasons or {}
    plan = {p.number: p for p in planned}
    first = min((n for n, _ in placed), default=0)
    out: list[Adjustment] = []
    for number, local in placed:
        asked = plan.get(number)
        if number == first:
            want_day, want_time = start, preferred
        elif asked is not None:
            want_day, want_time = asked.day, asked.start_local.time()
        else:
            continue
        got_day, got_time = local.date(), local.time().replace(tzinfo=None)
        if (got_day, got_time) == (want_day, want_time):
            continue
        why: list[Reason] = []
        if number == first and asked is not None:
            if asked.day != start:
                why.append(skip_reason(start, skips))
            elif asked.start_local.time() != preferred:
                why.append(
                    Reason(
                        OPENING_HOURS,
                        f"at {preferred:%H:%M} the course's sessions would run past closing on "
                        f"{asked.day}",
                    )
                )
        moved = asked is None or (got_day, got_time) != (asked.day, asked.start_local.time())
        if moved:
            placer = reasons.get(number)
            if placer is not None:
                why.append(placer)
            elif not why:
                why.append(
                    Reason(
                        SPACING_RULE, "keeps the protocol's spacing after an earlier session moved"
                    )
                )
        if not why:
            continue
        out.append(
            Adjustment(
                number=number,
                requested_day=want_day,
                requested_time=want_time,
                placed_day=got_day,
                placed_time=got_time,
                reason_code=why[0].code,
                reason="; then ".join(r.text for r in why),
            )
        )
    return out
