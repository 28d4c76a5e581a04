"""The pure feed builder (scheduling/feeds.py): plain data in, iCalendar out, no database."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ics
import pytest
from icalendar import Calendar

from protocols.spec import parse_spec
from scheduling.feeds import FeedOptions, FeedSession, Guidance, event_text, feed_bytes
from tests.support.clock import local

NY = ZoneInfo("America/New_York")
LIBRARY = Path(__file__).resolve().parents[2] / "protocols" / "library"
# Words that would tell anyone glancing at a patient's calendar what they are treated for.
CLINICAL_WORDS = (
    "tms",
    "rtms",
    "transcranial",
    "magnetic",
    "theta",
    "itbs",
    "saint",
    "deep",
    "ect",
    "electroconvulsive",
    "convulsive",
    "seizure",
    "electrode",
    "anaesthe",
    "anesthe",
    "esketamine",
    "ketamine",
    "spravato",
    "nasal spray",
    "methohexital",
    "propofol",
    "etomidate",
    "succinylcholine",
    "depress",
    "trd",
    "mdd",
    "ocd",
    "obsessive",
    "suicid",
    "psychiatr",
    "mental",
    "rems",
)


def ical(body: bytes) -> Any:
    """icalendar's parse, typed loosely: tests read properties by name."""
    return Calendar.from_ical(body)


def session(n: int = 1, day: str = "2026-03-02", hhmm: str = "09:00", **kw) -> FeedSession:
    start = local(NY, day, hhmm)
    values: dict[str, Any] = {
        "id": n,
        "start": start,
        "end": start + dt.timedelta(minutes=30),
        "observation_end": start + dt.timedelta(minutes=150),
        "status": "scheduled",
        "sequence": 0,
        "updated_at": dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC),
        "number": n,
        "phase": "induction",
        "protocol_name": "Esketamine nasal spray (Spravato) for TRD",
        "modality": "esketamine",
        "patient_given_name": "Alex",
        "patient_family_name": "Morgan",
        "patient_reference": "RIP-0001",
        "rooms": ("Spravato chair 1",),
        "guidance": Guidance(
            arrive_minutes_before=15,
            arrange=("A ride home.",),
            bring=("Your medicine list.",),
            no_driving_after=True,
            pickup_note="Be ready.",
        ),
    }
    values.update(kw)
    return FeedSession(**values)


def options(kind: str = "patient", **kw) -> FeedOptions:
    values: dict[str, Any] = {
        "kind": kind,
        "name": "Clinic appointments",
        "zone": NY,
        "uid_domain": "clinic.test",
        "location": "Riverside Clinic, Suite 2",
        "alarm_minutes": 60,
    }
    values.update(kw)
    return FeedOptions(**values)


def parsed(body: bytes) -> tuple[Any, Any]:
    return Calendar.from_ical(body), ics.Calendar(body.decode())


@pytest.mark.parametrize("kind", ["patient", "companion", "staff", "resource", "site"])
def test_every_kind_parses_with_both_parsers_and_has_the_required_properties(kind):
    body = feed_bytes(options(kind), [session(1), session(2, day="2026-03-05")])
    cal, other = parsed(body)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    assert str(cal["X-WR-TIMEZONE"]) == "America/New_York"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    events = cal.walk("VEVENT")
    assert len(events) == 2 == len(other.events)
    for event in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "LAST-MODIFIED", "STATUS"):
            assert prop in event, prop
        assert "ORGANIZER" not in event
        assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert {e.uid for e in other.events} == {str(e["UID"]) for e in events}
    assert all(line.endswith(b"\r") or not line for line in body.split(b"\n")[:-1])
    assert max(len(line) for line in body.split(b"\r\n")) <= 75


def test_same_data_gives_the_same_bytes():
    data = [session(1), session(2, day="2026-03-05")]
    assert feed_bytes(options(), data) == feed_bytes(options(), data)


def test_uid_is_stable_and_sequence_follows_the_session_when_it_moves():
    before = ical(feed_bytes(options("staff"), [session(7)])).walk("VEVENT")[0]
    moved = session(7, day="2026-03-03", hhmm="11:00", sequence=3)
    after = ical(feed_bytes(options("staff"), [moved])).walk("VEVENT")[0]
    assert str(before["UID"]) == str(after["UID"]) == "session-7@clinic.test"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["DTSTART"].dt == dt.datetime(2026, 3, 3, 11, tzinfo=NY)


def test_cancelled_session_is_cancelled_transparent_without_alarm():
    body = feed_bytes(options(), [session(1, status="cancelled", sequence=2)])
    event = ical(body).walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED"
    assert event["TRANSP"] == "TRANSPARENT"
    assert event.walk("VALARM") == []
    assert str(event["SUMMARY"]).startswith("Cancelled")


def test_dst_week_keeps_local_wall_clock_times():
    # US DST starts Sunday 8 March 2026: 09:00 is 14:00 UTC before and 13:00 UTC after.
    days = ["2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10"]
    sessions = [session(i, day=day) for i, day in enumerate(days, 1)]
    assert {s.start.hour for s in sessions} == {14, 13}
    body = feed_bytes(options("staff"), sessions)
    assert body.count(b"T090000\r\n") == 4
    cal, other = parsed(body)
    starts = sorted(e["DTSTART"].dt for e in cal.walk("VEVENT"))
    assert [s.astimezone(NY).hour for s in starts] == [9, 9, 9, 9]
    assert sorted(e.begin.datetime for e in other.events) == sorted(s.start for s in sessions)
    tz = cal.walk("VTIMEZONE")[0]
    assert any(sub.name == "DAYLIGHT" for sub in tz.subcomponents)


def test_patient_event_has_arrive_by_and_what_to_arrange_and_alarm_before_arrival():
    event = ical(feed_bytes(options(), [session()])).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Clinic appointment"
    assert str(event["LOCATION"]) == "Riverside Clinic, Suite 2"
    description = str(event["DESCRIPTION"])
    assert "Please arrive by 08:45." in description
    assert "- A ride home." in description and "- Your medicine list." in description
    (alarm,) = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=60 + 15)
    assert event["DTEND"].dt == dt.datetime(2026, 3, 2, 11, 30, tzinfo=NY)


def test_patient_feed_without_alarm_when_zero():
    event = ical(feed_bytes(options(alarm_minutes=0), [session()])).walk("VEVENT")[0]
    assert event.walk("VALARM") == []


def test_site_may_turn_treatment_names_on():
    text = event_text(options(show_treatment=True), session())
    assert text.summary == "Clinic appointment: Esketamine nasal spray (Spravato) for TRD"


def test_staff_feed_has_what_staff_need_with_initials():
    text = event_text(options("staff"), session(3))
    assert text.summary == "Esketamine nasal spray (Spravato) for TRD #3: A.M. (0001)"
    assert "Observation ends 11:30" in text.description
    assert "Rooms: Spravato chair 1" in text.description
    assert "Alex" not in text.description and "Morgan" not in text.description
    full = event_text(options("staff", show_full_names=True), session(3))
    assert "Alex Morgan (RIP-0001)" in full.summary


def test_staff_feed_has_no_alarms():
    body = feed_bytes(options("staff", alarm_minutes=0), [session()])
    assert b"VALARM" not in body


def test_companion_feed_only_pickups_after_no_driving_sessions():
    no_drive = session(1)
    may_drive = session(2, day="2026-03-03", guidance=Guidance(no_driving_after=False))
    cal = ical(feed_bytes(options("companion", name="Pick-ups"), [no_drive, may_drive]))
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "pickup-1@clinic.test"
    assert event["DTSTART"].dt == no_drive.observation_end
    assert str(event["SUMMARY"]) == "Pick-up"


def _patient_texts(body: bytes) -> str:
    """Every property value of every component, unfolded and unescaped, lower case."""
    cal = ical(body)
    values = []
    for component in cal.walk():
        if component.name == "VTIMEZONE" or component.name in ("STANDARD", "DAYLIGHT"):
            continue
        for key, value in component.property_items(recursive=False):
            values.append(
                f"{key}:{value.to_ical().decode() if hasattr(value, 'to_ical') else value}"
            )
    return "\n".join(values).lower()


def _library_sessions() -> list[tuple[str, FeedSession]]:
    out: list[tuple[str, FeedSession]] = []
    for path in sorted(LIBRARY.glob("*.json")):
        data = json.loads(path.read_text())
        spec = parse_spec(data["spec"])
        guidance = Guidance(
            arrive_minutes_before=spec.patient.arrive_minutes_before,
            arrange=tuple(spec.patient.arrange),
            bring=tuple(spec.patient.bring),
            no_driving_after=spec.patient.no_driving_after,
            pickup_note=spec.patient.pickup_note,
        )
        for status in ("scheduled", "cancelled", "no_show"):
            out.append(
                (
                    data["slug"],
                    session(
                        len(out) + 1,
                        protocol_name=data["name"],
                        modality=spec.modality.value,
                        phase=spec.phases[0].name,
                        status=status,
                        guidance=guidance,
                        rooms=("ECT suite", "TMS chair 1", "Spravato chair 1"),
                    ),
                )
            )
    return out


def test_library_exists():
    assert len(list(LIBRARY.glob("*.json"))) >= 7


@pytest.mark.parametrize("kind", ["patient", "companion"])
@pytest.mark.parametrize("slug", sorted(p.stem for p in LIBRARY.glob("*.json")))
def test_patient_feeds_of_every_builtin_protocol_name_no_clinical_word(kind, slug):
    sessions = [s for found, s in _library_sessions() if found == slug]
    body = feed_bytes(options(kind), sessions)
    text = _patient_texts(body)
    found = [w for w in CLINICAL_WORDS if re.search(rf"\b{re.escape(w)}", text)]
    assert found == [], f"{slug} {kind} feed names {found}"
    if kind == "patient":
        assert text.count("clinic appointment") >= len(sessions)


def test_the_word_check_would_catch_a_treatment_name():
    sessions = [s for _, s in _library_sessions()]
    text = _patient_texts(feed_bytes(options(show_treatment=True), sessions))
    assert re.search(r"\bspravato", text) and re.search(r"\bect\b", text)
    text = _patient_texts(feed_bytes(options("staff"), sessions))
    assert re.search(r"\btms", text)


def test_empty_feed_is_still_a_valid_calendar_with_its_timezone():
    cal, other = parsed(feed_bytes(options(), []))
    assert cal.walk("VEVENT") == [] and len(other.events) == 0
    assert len(cal.walk("VTIMEZONE")) == 1


def test_sessions_are_not_changed_by_building():
    s = session()
    assert replace(s) == s
    feed_bytes(options(), [s])
    assert s == session()
