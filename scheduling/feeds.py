"""Calendar feeds as iCalendar (RFC 5545), built from plain data: no ORM, no Django.

The view loads sessions into `FeedSession`s (scheduling/feed_selectors.py) and serialises what
`feed_calendar` returns; this module decides what every event says. One function, four readers,
and the variants differ because each reader needs, and may see, something different:

* **patient**: minimal. A phone calendar is seen by other people (lock screen, a shared family
  calendar, the provider hosting it), so by default no diagnosis, treatment, drug or device name
  appears anywhere: the event is a "Clinic appointment" at the site's patient-facing place, with
  the arrive-by time and what to arrange or bring, worded in the protocol's data
  (`ProtocolSpec.patient`). A site may turn treatment names on. An optional reminder.
* **companion**: for the person who drives the patient home; only the pick-up time (the end of
  observation) of sessions after which the patient must not drive (`no_driving_after` in the
  protocol's data), and no clinical word at all: the driver needs a time and a place, nothing else.
* **staff** (also resource and site feeds): what staff need to run the session (protocol, session
  number, phase, rooms, end of observation), but the patient only as initials and a short
  reference unless the site turns full names on: staff calendars live on personal phones too.

Every session event keeps the UID `session-<id>@<domain>` for its whole life (pick-ups use
`pickup-<id>@<domain>`), so a calendar moves the event instead of adding a second one; SEQUENCE is
the session's own counter, which the scheduling services raise on every change of time, place or
status; DTSTAMP and LAST-MODIFIED are the session's last change, so the same data always gives the
same bytes and the view's ETag holds. Times are written in the site's zone with its VTIMEZONE, so a
09:00 session reads 09:00 on both sides of a DST change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vDuration

from clinic.display_text import display_text

FeedKind = Literal["patient", "companion", "staff", "resource", "site"]
STAFF_KINDS: frozenset[str] = frozenset({"staff", "resource", "site"})

PRODID = "-//Interventional clinic//Calendar feeds//EN"
PATIENT_SUMMARY = "Clinic appointment"
PICKUP_SUMMARY = "Pick-up"
PICKUP_MINUTES = 15
CANCELLED = "cancelled"
NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class Guidance:
    """What the patient must arrange and bring (a plain copy of protocols.spec.PatientGuidance)."""

    arrive_minutes_before: int = 10
    arrange: tuple[str, ...] = ()
    bring: tuple[str, ...] = ()
    no_driving_after: bool = False
    pickup_note: str = ""


@dataclass(frozen=True, slots=True)
class FeedSession:
    """One session as a feed sees it. Datetimes are aware (UTC from the database)."""

    id: int
    start: dt.datetime
    end: dt.datetime
    observation_end: dt.datetime
    status: str
    sequence: int
    updated_at: dt.datetime
    number: int
    phase: str
    protocol_name: str
    modality: str
    patient_given_name: str
    patient_family_name: str
    patient_reference: str
    rooms: tuple[str, ...] = ()
    course_id: int = 0
    guidance: Guidance = field(default_factory=Guidance)

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """How a feed reads: who it is for (`kind`) and the site's settings."""

    kind: FeedKind
    name: str
    zone: ZoneInfo
    uid_domain: str
    location: str = ""
    show_treatment: bool = False
    show_full_names: bool = False
    alarm_minutes: int = 0
    refresh: dt.timedelta = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EventText:
    """The words of one event; the patient page shows exactly these (nothing beyond the feed)."""

    summary: str
    location: str
    description: str
    lines: tuple[str, ...]
    arrange: tuple[str, ...]
    bring: tuple[str, ...]
    arrive_by: dt.datetime | None


def initials(given: str, family: str) -> str:
    """'Alex', 'Morgan' -> 'A.M.'"""
    return "".join(f"{part[:1].upper()}." for part in (given, family) if part.strip())


def patient_label(session: FeedSession, *, full_names: bool) -> str:
    """How a staff feed names the patient: initials and the last 4 characters of the MRN."""
    if full_names:
        return (
            f"{session.patient_given_name} {session.patient_family_name} "
            f"({session.patient_reference})"
        )
    short = initials(session.patient_given_name, session.patient_family_name)
    return f"{short} ({session.patient_reference[-4:]})"


def _clock(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def _one_line(session: FeedSession) -> FeedSession:
    """`session` with every name as one clean line. The inputs refuse control characters and
    bidirectional overrides now (clinic/display_text.py), but older rows may hold a line break
    that would break the calendar line it lands in (a 500 on every feed of the site)."""
    guidance = session.guidance
    return replace(
        session,
        protocol_name=display_text(session.protocol_name),
        patient_given_name=display_text(session.patient_given_name),
        patient_family_name=display_text(session.patient_family_name),
        patient_reference=display_text(session.patient_reference),
        rooms=tuple(display_text(room) for room in session.rooms),
        guidance=replace(
            guidance,
            arrange=tuple(display_text(item) for item in guidance.arrange),
            bring=tuple(display_text(item) for item in guidance.bring),
            pickup_note=display_text(guidance.pickup_note),
        ),
    )


def event_text(options: FeedOptions, session: FeedSession) -> EventText:
    """The summary, place and description a feed of `options.kind` gives `session`."""
    zone = options.zone
    session = _one_line(session)
    options = replace(options, location=display_text(options.location))
    if options.kind == "companion":
        lines = (
            ("Cancelled: no pick-up needed.",)
            if session.cancelled
            else tuple(x for x in (session.guidance.pickup_note,) if x)
        )
        summary = f"Cancelled: {PICKUP_SUMMARY}" if session.cancelled else PICKUP_SUMMARY
        return EventText(summary, options.location, "\n".join(lines), lines, (), (), None)
    if options.kind == "patient":
        guidance = session.guidance
        arrive_by = session.start - dt.timedelta(minutes=guidance.arrive_minutes_before)
        summary = PATIENT_SUMMARY
        if options.show_treatment:
            summary = f"{PATIENT_SUMMARY}: {session.protocol_name}"
        patient_lines: list[str] = []
        if session.cancelled:
            summary = f"Cancelled: {summary}"
            patient_lines.append(
                "This appointment is cancelled. The clinic will contact you about a new time."
            )
        elif session.status == NO_SHOW:
            patient_lines.append("Missed appointment.")
        patient_lines.append(f"Please arrive by {_clock(arrive_by, zone)}.")
        patient_lines.append(
            f"You should be free to leave by about {_clock(session.observation_end, zone)}."
        )
        arrange = () if session.cancelled else guidance.arrange
        bring = () if session.cancelled else guidance.bring
        text = list(patient_lines)
        if arrange:
            text.append("Please arrange:")
            text.extend(f"- {item}" for item in arrange)
        if bring:
            text.append("Please bring:")
            text.extend(f"- {item}" for item in bring)
        return EventText(
            summary,
            options.location,
            "\n".join(text),
            tuple(patient_lines),
            arrange,
            bring,
            arrive_by,
        )
    who = patient_label(session, full_names=options.show_full_names)
    summary = f"{session.protocol_name} #{session.number}: {who}"
    if session.cancelled:
        summary = f"CANCELLED: {summary}"
    rooms = ", ".join(session.rooms)
    staff_lines = (
        f"Patient: {who}",
        f"Protocol: {session.protocol_name}",
        f"Session {session.number} ({session.phase})",
        f"Procedure {_clock(session.start, zone)}-{_clock(session.end, zone)}",
        f"Observation ends {_clock(session.observation_end, zone)}",
        f"Rooms: {rooms or 'none held'}",
        f"Status: {session.status.replace('_', ' ')}",
    )
    return EventText(
        summary, rooms or options.location, "\n".join(staff_lines), staff_lines, (), (), None
    )


@lru_cache(maxsize=64)
def _timezone(key: str, first_year: int, last_year: int) -> Timezone:
    # Covering whole years around the events keeps the component small (a feed of one year has
    # two transitions, not seventy years of them) and the same for every request that year.
    return Timezone.from_tzinfo(
        ZoneInfo(key),
        tzid=key,
        first_date=dt.date(first_year, 1, 1),
        last_date=dt.date(last_year + 1, 1, 1),
    )


def _event(options: FeedOptions, session: FeedSession) -> Event:
    text = event_text(options, session)
    zone = options.zone
    event = Event()
    if options.kind == "companion":
        start = session.observation_end
        end = start + dt.timedelta(minutes=PICKUP_MINUTES)
        event.add("uid", f"pickup-{session.id}@{options.uid_domain}")
    else:
        start = session.start
        end = session.observation_end
        event.add("uid", f"session-{session.id}@{options.uid_domain}")
    stamp = session.updated_at.astimezone(dt.UTC)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", session.sequence)
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("summary", text.summary)
    if text.location:
        event.add("location", text.location)
    if text.description:
        event.add("description", text.description)
    event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if session.cancelled else "OPAQUE")
    event.add("class", "PRIVATE")
    if options.kind in STAFF_KINDS:
        event.add("categories", [session.modality.upper()])
    if options.alarm_minutes > 0 and not session.cancelled:
        before = dt.timedelta(minutes=options.alarm_minutes)
        if options.kind == "patient":
            # Remind before the arrive-by time, not the start: that is when they must be there.
            before += dt.timedelta(minutes=session.guidance.arrive_minutes_before)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", text.summary)
        alarm.add("trigger", -before)
        event.add_component(alarm)
    return event


def feed_sessions_for(options: FeedOptions, sessions: Iterable[FeedSession]) -> list[FeedSession]:
    """The sessions a feed of this kind shows: a companion sees only no-driving sessions."""
    if options.kind == "companion":
        return [s for s in sessions if s.guidance.no_driving_after]
    return list(sessions)


def feed_calendar(options: FeedOptions, sessions: Sequence[FeedSession]) -> Calendar:
    """The VCALENDAR for `sessions` as a feed of `options.kind` shows them."""
    shown = feed_sessions_for(options, sessions)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = display_text(options.name)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", options.zone.key)
    calendar.add("refresh-interval", vDuration(options.refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(options.refresh))
    if shown:
        first = min(s.start for s in shown).astimezone(options.zone).year
        last = max(s.observation_end for s in shown).astimezone(options.zone).year
    else:
        first = last = 2000
    calendar.add_component(_timezone(options.zone.key, first - 1, last + 1))
    for session in shown:
        calendar.add_component(_event(options, session))
    return calendar


def feed_bytes(options: FeedOptions, sessions: Sequence[FeedSession]) -> bytes:
    """`feed_calendar` serialised (CRLF line endings, folded at 75 octets, UTF-8)."""
    data: bytes = feed_calendar(options, sessions).to_ical()
    return data
