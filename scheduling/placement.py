"""Placing planned sessions onto resources: pure logic (plain data, no ORM).

The engine (protocols/engine.py) decides the days and local times a protocol allows. This
module decides *which* chair/suite/bay each session holds and nudges times around what is
already booked:

1. at the planned time, if every resource kind the timing holds has a free resource (a kind held
   in both parts, e.g. esketamine's monitoring chair, must be the same resource for the whole
   window) and the patient is free;
2. else the nearest free time the same day, within opening hours, keeping same-day spacing
   (`min_minutes_between_starts`) and course order;
3. else the next day the protocol allows: the rest of the course is re-planned from there with
   the engine's ResumePoint, so weekly quotas and minimum gaps still hold.

Example: a one-chair site, a TMS course at 09:00 while another patient holds the chair
09:00-09:40 on Tuesday: Monday stays 09:00, Tuesday goes to 08:20 (40 minutes off, like
09:40; ties go to the earlier time), the rest stays at 09:00. If Tuesday were full all day,
Tuesday's session would move to Wednesday and the rest of the course slide after it.

Everything here works on `Timeline`s the service fills from ONE query of holds (and one of the
patient's sessions); the database constraints (PostgreSQL) remain the last word under races.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clinic.calendar import SiteCalendar, minute_of_day
from clinic.display_text import kind_name
from protocols.adjustments import (
    CLOSED_DAY,
    OPENING_HOURS,
    PATIENT_BUSY,
    RESOURCE_BUSY,
    SPACING_RULE,
    TIME_PASSED,
    Reason,
)
from protocols.engine import PlannedSession, PlanningError, ResumePoint
from protocols.spec import Phase, Timing

UTC = dt.UTC
PROCEDURE = "procedure"
OBSERVATION = "observation"
# Grid for "nearest free time": 5 minutes keeps times readable and the search small.
STEP_MINUTES = 5
# How far one session may slide past its planned day before we call it unplaceable.
MAX_SHIFT_DAYS = 28
# Why a time was refused (Placer.try_at / find_on_day); `why_reason` gives each its code.
WHY_PAST = "in the past"
WHY_PATIENT = "the patient has another session then"
WHY_TOO_CLOSE = "too close to the previous session"
WHY_HOURS = "outside the opening hours"


class Timeline:
    """Busy intervals of one track (a resource, or the patient), sorted by start.

    Intervals on a track never overlap (the booking rules and, on PostgreSQL, the exclusion
    constraints guarantee it), so the only interval that can overlap [s, e) is the last one
    starting before e.
    """

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[dt.datetime, dt.datetime, Hashable]] = []

    def add(self, start: dt.datetime, end: dt.datetime, label: Hashable) -> None:
        bisect.insort(self.items, (start, end, label), key=lambda t: t[0])

    def conflict(
        self,
        start: dt.datetime,
        end: dt.datetime,
        ignore: frozenset[Hashable] | set[Hashable] = frozenset(),
    ) -> Hashable | None:
        """The label of an interval overlapping [start, end) not in `ignore`, or None."""
        i = bisect.bisect_left(self.items, end, key=lambda t: t[0])
        j, misses = i - 1, 0
        # Walk back over intervals starting before `end` until a few end before `start`
        # (tolerates rare legacy overlaps and ignored intervals).
        while j >= 0 and misses < 3:
            _s, e, label = self.items[j]
            if e > start:
                if label not in ignore:
                    return label
            else:
                misses += 1
            j -= 1
        return None

    def discard(self, label: Hashable) -> None:
        self.items = [t for t in self.items if t[2] != label]


@dataclass(frozen=True, slots=True)
class HoldPlan:
    kind: str
    part: str
    resource_id: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class Placement:
    number: int
    phase: str
    phase_index: int
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    holds: tuple[HoldPlan, ...]
    scales_due: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unplaced:
    number: int
    phase: str
    day: dt.date
    reason: str
    conflict: Hashable | None = None  # label (session id) of what is in the way, when known


@dataclass
class BookingResult:
    placements: list[Placement] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    # number -> why the session is not at its planned time (the first refusal it met)
    reasons: dict[int, Reason] = field(default_factory=dict)


class WindowExceeded(Exception):
    """Placement wandered past the date range whose bookings were loaded; reload wider."""

    def __init__(self, day: dt.date):
        self.day = day
        super().__init__(f"need bookings up to {day}")


@dataclass(frozen=True, slots=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    holds: tuple[HoldPlan, ...]


def local_instant(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """UTC instant of a local wall-clock minute; a time inside a spring-forward gap becomes the
    real instant (same round trip as the engine)."""
    local = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return local.astimezone(UTC)


class Placer:
    """Checks and takes slots on resource and patient timelines (see module docstring)."""

    def __init__(
        self,
        *,
        timing: Timing,
        calendar: SiteCalendar,
        resources: Mapping[str, Sequence[int]],
        resource_busy: dict[int, Timeline],
        patient_busy: Timeline,
        not_before: dt.datetime,
        window_end: dt.date,
        skip_kinds: set[str] | frozenset[str] = frozenset(),
    ):
        self.calendar = calendar
        self.zone = calendar.zone
        self.procedure = dt.timedelta(minutes=timing.procedure_minutes)
        self.observation = dt.timedelta(minutes=timing.observation_minutes)
        self.total_minutes = timing.procedure_minutes + timing.observation_minutes
        proc: list[str] = list(dict.fromkeys(timing.procedure_holds))
        obs: set[str] = set(timing.observation_holds)
        # (kind, parts): a kind in both parts is held on one resource for the whole window.
        needs: list[tuple[str, tuple[str, ...]]] = [
            (k, (PROCEDURE, OBSERVATION) if k in obs else (PROCEDURE,)) for k in proc
        ]
        needs += [
            (k, (OBSERVATION,)) for k in dict.fromkeys(timing.observation_holds) if k not in proc
        ]
        self.needs = [(k, parts) for k, parts in needs if k not in skip_kinds]
        self.resources = {k: list(v) for k, v in resources.items()}
        self.resource_busy = resource_busy
        self.patient_busy = patient_busy
        self.not_before = not_before
        self.window_end = window_end
        # Continuity: a course keeps the chair it had last time when that chair is free.
        self.last_used: dict[str, int] = {}
        # Labels to look through (a course's own later sessions while one of them moves).
        self.ignore: set[Hashable] = set()

    def missing_kinds(self) -> list[str]:
        return [k for k, _ in self.needs if not self.resources.get(k)]

    def _span(
        self, kind_parts: tuple[str, ...], s: dt.datetime, e: dt.datetime, o: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime]:
        if kind_parts == (PROCEDURE, OBSERVATION):
            return s, o
        if kind_parts == (PROCEDURE,):
            return s, e
        return e, o

    def try_at(self, start: dt.datetime) -> tuple[Slot | None, str, Hashable | None]:
        """A slot at exactly `start`, or (None, why, conflicting label)."""
        end = start + self.procedure
        obs_end = end + self.observation
        if start < self.not_before:
            return None, WHY_PAST, None
        who = self.patient_busy.conflict(start, obs_end, self.ignore)
        if who is not None:
            return None, WHY_PATIENT, who
        holds: list[HoldPlan] = []
        for kind, parts in self.needs:
            a, b = self._span(parts, start, end, obs_end)
            if a == b:
                continue
            ids = self.resources.get(kind) or []
            preferred = self.last_used.get(kind)
            if preferred in ids:
                ids = [preferred, *[i for i in ids if i != preferred]]
            chosen = None
            blocker: Hashable | None = None
            for rid in ids:
                timeline = self.resource_busy.get(rid)
                hit = timeline.conflict(a, b, self.ignore) if timeline is not None else None
                if hit is None:
                    chosen = rid
                    break
                blocker = blocker if blocker is not None else hit
            if chosen is None:
                name = kind_name(kind)
                why = f"no free {name}" if ids else f"the site has no active {name}"
                return None, why, blocker
            for part in parts:
                ps, pe = (start, end) if part == PROCEDURE else (end, obs_end)
                if ps < pe:
                    holds.append(HoldPlan(kind, part, chosen, ps, pe))
        return Slot(start, end, obs_end, tuple(holds)), "", None

    def opening(self, day: dt.date) -> tuple[int, int] | None:
        if self.calendar.closed_reason(day) is not None:
            return None
        opens, closes = self.calendar.hours[day.weekday()]
        return minute_of_day(opens), minute_of_day(closes)

    def find_on_day(
        self, day: dt.date, preferred_minute: int, *, earliest: dt.datetime | None = None
    ) -> tuple[Slot | None, str, Hashable | None]:
        """The free start nearest `preferred_minute` on `day` (ties go earlier); with a slot away
        from `preferred_minute`, `why` says what refused that minute."""
        if day > self.window_end:
            raise WindowExceeded(day)
        hours = self.opening(day)
        if hours is None:
            return None, f"the site is closed on {day}", None
        opens, closes = hours
        last = closes - self.total_minutes
        if last < opens:
            return None, f"opening hours on {day} are too short", None
        minutes = [preferred_minute] if opens <= preferred_minute <= last else []
        grid = range(opens + (-opens) % STEP_MINUTES, last + 1, STEP_MINUTES)
        minutes += sorted(
            (m for m in grid if m != preferred_minute),
            key=lambda m: (abs(m - preferred_minute), m),
        )
        first_why, first_conflict = "", None
        for m in minutes:
            start = local_instant(day, m, self.zone)
            if earliest is not None and start < earliest:
                continue
            slot, why, conflict = self.try_at(start)
            if slot is not None:
                if m == preferred_minute:
                    return slot, "", None
                if not first_why:
                    in_hours = opens <= preferred_minute <= last
                    first_why = WHY_TOO_CLOSE if in_hours else WHY_HOURS
                return slot, first_why, first_conflict
            if not first_why:
                first_why, first_conflict = why, conflict
        return None, first_why or f"no time on {day} keeps the spacing rules", first_conflict

    def take(self, slot: Slot, label: Hashable) -> None:
        self.patient_busy.add(slot.start, slot.observation_end, label)
        for hold in slot.holds:
            self.resource_busy.setdefault(hold.resource_id, Timeline()).add(
                hold.start, hold.end, label
            )
            self.last_used[hold.kind] = hold.resource_id

    def release(self, label: Hashable, resource_ids: Sequence[int]) -> None:
        self.patient_busy.discard(label)
        for rid in resource_ids:
            if rid in self.resource_busy:
                self.resource_busy[rid].discard(label)


def why_reason(why: str, day: dt.date, minute: int) -> Reason:
    """A placer refusal (`why` at local `minute` on `day`) as an adjustment reason."""
    at = f"{minute // 60:02d}:{minute % 60:02d} on {day}"
    if why == WHY_PAST:
        return Reason(TIME_PASSED, f"{at} had already passed")
    if why == WHY_PATIENT:
        return Reason(PATIENT_BUSY, f"the patient has another session at {at}")
    if why.startswith(("no free ", "the site has no active ")):
        return Reason(RESOURCE_BUSY, f"{why} at {at}")
    if why == WHY_HOURS or why.startswith("opening hours"):
        return Reason(OPENING_HOURS, f"{at} is {WHY_HOURS}")
    if why.startswith("the site is closed"):
        return Reason(CLOSED_DAY, why)
    return Reason(SPACING_RULE, f"{why} ({at})")


Planner = Callable[[dt.date, ResumePoint | None], list[PlannedSession]]


def _iso_week(day: dt.date) -> int:
    return day.toordinal() - day.weekday()


def place_course(
    *,
    planner: Planner,
    placer: Placer,
    phases: Sequence[Phase],
    start: dt.date,
    resume: ResumePoint | None = None,
    exact: bool = False,
    label: Callable[[int], Hashable] = lambda n: ("new", n),
) -> BookingResult:
    """Place every session the planner yields; see the module docstring for the order tried.

    Raises PlanningError when the first plan already breaks a rule (nothing to place), and
    WindowExceeded when a placement needs bookings beyond the loaded window.
    """
    planned = planner(start, resume)
    scales = {p.number: p.scales_due for p in planned}
    first_day = {p.number: p.day for p in planned}
    result = BookingResult()
    placed: list[Placement] = []
    i = 0
    while i < len(planned):
        ps = planned[i]
        phase = phases[ps.phase_index]
        prev = placed[-1] if placed else None
        earliest = None
        if prev is not None and prev.day == ps.day:
            gap = max(phase.min_minutes_between_starts, 1)
            earliest = prev.start + dt.timedelta(minutes=gap)
        if exact:
            slot, why, conflict = placer.try_at(ps.start_utc)
            if slot is None and earliest is not None and ps.start_utc < earliest:
                why = WHY_TOO_CLOSE
        else:
            slot, why, conflict = placer.find_on_day(
                ps.day, minute_of_day(ps.start_local), earliest=earliest
            )
        if why and ps.number not in result.reasons:
            result.reasons[ps.number] = why_reason(why, ps.day, minute_of_day(ps.start_local))
        if slot is not None:
            placer.take(slot, label(ps.number))
            placement = Placement(
                number=ps.number,
                phase=ps.phase,
                phase_index=ps.phase_index,
                day=slot.start.astimezone(placer.zone).date(),
                start=slot.start,
                end=slot.end,
                observation_end=slot.observation_end,
                holds=slot.holds,
                scales_due=scales.get(ps.number, ()),
            )
            placed.append(placement)
            result.placements.append(placement)
            i += 1
            continue
        too_far = (ps.day + dt.timedelta(days=1) - first_day[ps.number]).days > MAX_SHIFT_DAYS
        if exact or too_far:
            since = first_day[ps.number]
            reason = why if exact else f"no free slot from {since} to {ps.day}: {why}"
            result.unplaced.append(Unplaced(ps.number, ps.phase, ps.day, reason, conflict))
            i += 1
            continue
        # Nothing free that day: the next day the protocol allows, re-planning the rest.
        last_day = prev.day if prev is not None else (resume.last_day if resume else None)
        week_count = 0
        if last_day is not None:
            week_days = {
                p.day
                for p in placed
                if p.phase_index == ps.phase_index and _iso_week(p.day) == _iso_week(last_day)
            }
            week_count = len(week_days)
            if not placed and resume is not None and resume.phase_index == ps.phase_index:
                week_count = resume.week_count
        point = ResumePoint(
            phase_index=ps.phase_index,
            done_in_phase=ps.number_in_phase - 1,
            last_day=last_day,
            number=ps.number - 1,
            week_count=week_count,
        )
        try:
            rest = planner(ps.day + dt.timedelta(days=1), point)
        except PlanningError as exc:
            result.unplaced.append(
                Unplaced(ps.number, ps.phase, ps.day, f"{why}; and {exc.message}", conflict)
            )
            break
        for p in rest:
            first_day.setdefault(p.number, p.day)
        planned = planned[:i] + rest
    return result
