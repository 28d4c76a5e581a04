"""The spacing rules of a phase, checked in one place: which days and start times may follow
the previous session.

Pure Python (no Django). The planning engine (protocols/engine.py) asks `day_violation` about
each day it walks to, and the re-planner (scheduling/session_reschedule.py) asks
`spacing_violation` about each day and time it tries; both act on the typed `SpacingRule` code,
never on the wording of the message, which is for people.

The rules, in the order they are checked:

* WEEKDAY: the phase runs only on its `weekdays` (when given);
* WEEKLY_QUOTA: at most `per_week` treatment days of the phase in an ISO week (a day of ten
  accelerated sessions is one treatment day);
* ORDER: a session never starts at or before the one before it;
* SAME_DAY / SAME_DAY_GAP: one session a day, unless the phase has `sessions_per_day` above 1,
  whose same-day sessions start `min_minutes_between_starts` apart (SAINT: 50 minutes,
  docs/clinical.md section 1);
* MIN_DAYS: at least `effective_min_days_between` days after the previous treatment day (ECT:
  one calendar day between treatments; twice-weekly esketamine: not on consecutive days,
  docs/clinical.md section 5);
* MAX_DAYS: at most `max_days_between` days after it. Days only move forward, so once this
  rule breaks every later day breaks it too: callers stop searching.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from protocols.spec import WEEKDAY_INDEX, Phase


class SpacingRule(StrEnum):
    WEEKDAY = "weekday"
    WEEKLY_QUOTA = "weekly_quota"
    ORDER = "order"
    SAME_DAY = "same_day"
    SAME_DAY_GAP = "same_day_gap"
    MIN_DAYS = "min_days_between"
    MAX_DAYS = "max_days_between"


@dataclass(frozen=True, slots=True)
class Previous:
    """The session before the one being placed, as the rules see it."""

    number: int
    start: dt.datetime
    day: dt.date  # local


@dataclass(frozen=True, slots=True)
class SpacingViolation:
    rule: SpacingRule
    message: str

    def __str__(self) -> str:
        return self.message


def weekday_mask(phase: Phase) -> tuple[bool, ...]:
    """Monday=0 .. Sunday=6: may the phase hold a session that weekday?"""
    if phase.weekdays is None:
        return _ALL_DAYS
    return _mask_of(tuple(phase.weekdays))


def weekday_allowed(phase: Phase, day: dt.date) -> bool:
    return weekday_mask(phase)[day.weekday()]


_ALL_DAYS = (True,) * 7


@lru_cache(maxsize=128)
def _mask_of(weekdays: tuple[str, ...]) -> tuple[bool, ...]:
    # The engine asks about every day it walks: look the weekday up, do not rebuild a set.
    wanted = {WEEKDAY_INDEX[d] for d in weekdays}
    return tuple(i in wanted for i in range(7))


def day_violation(
    phase: Phase,
    day: dt.date,
    *,
    prev_number: int | None,
    prev_day: dt.date | None,
    days_this_week: int,
) -> SpacingViolation | None:
    """The first day-level rule that `day` breaks, or None.

    days_this_week: the phase's other treatment days in `day`'s ISO week (not counting `day`).
    Same-day rules need start times and are `spacing_violation`'s; a `day` equal to `prev_day`
    passes here.
    """
    if not weekday_allowed(phase, day):
        return SpacingViolation(
            SpacingRule.WEEKDAY,
            f"phase {phase.name!r} runs only on {', '.join(phase.weekdays or [])}",
        )
    if days_this_week >= phase.per_week:
        return SpacingViolation(
            SpacingRule.WEEKLY_QUOTA,
            f"phase {phase.name!r} allows {phase.per_week} treatment day(s) a week",
        )
    if prev_day is None or day == prev_day:
        return None
    gap_days = (day - prev_day).days
    if 0 < gap_days < phase.effective_min_days_between:
        return SpacingViolation(
            SpacingRule.MIN_DAYS,
            f"phase {phase.name!r} needs at least {phase.effective_min_days_between} day(s) "
            f"after session {prev_number} ({prev_day})",
        )
    if phase.max_days_between is not None and gap_days > phase.max_days_between:
        return SpacingViolation(
            SpacingRule.MAX_DAYS,
            f"phase {phase.name!r} allows at most {phase.max_days_between} day(s) after "
            f"session {prev_number} ({prev_day})",
        )
    return None


def spacing_violation(
    phase: Phase,
    prev: Previous | None,
    start: dt.datetime,
    day: dt.date,
    week_days_of_phase: set[dt.date],
) -> SpacingViolation | None:
    """The first rule that a session at `start` (local day `day`) breaks, or None.

    week_days_of_phase: the phase's other treatment days in `day`'s ISO week.
    """
    others = len(week_days_of_phase - {day})
    if day in week_days_of_phase:
        # Already a treatment day of the phase that week: the quota is not touched.
        others = 0
    violation = day_violation(
        phase,
        day,
        prev_number=prev.number if prev else None,
        prev_day=prev.day if prev else None,
        days_this_week=others,
    )
    if violation is not None or prev is None:
        return violation
    if start <= prev.start:
        return SpacingViolation(SpacingRule.ORDER, f"it would come before session {prev.number}")
    if day == prev.day:
        if phase.sessions_per_day <= 1:
            return SpacingViolation(
                SpacingRule.SAME_DAY, f"session {prev.number} is already on {day}"
            )
        if start - prev.start < dt.timedelta(minutes=phase.min_minutes_between_starts):
            return SpacingViolation(
                SpacingRule.SAME_DAY_GAP,
                f"sessions the same day must start at least {phase.min_minutes_between_starts} "
                f"min apart (session {prev.number})",
            )
    return None
