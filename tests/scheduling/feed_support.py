"""Shared setup for the feed tests: a patient on an esketamine course with a few sessions, and
helpers to read a feed back with two independent parsers."""

from __future__ import annotations

from typing import Any

import ics
from icalendar import Calendar

from clinic.models import Patient, Resource, Site
from clinic.tokens import hash_token, new_token
from scheduling.models import CalendarFeed, Course, Session
from tests.support.clock import local
from tests.support.factories import ESKETAMINE_SPEC, make_course, make_protocol
from tests.support.factories import make_session as _make_session

GUIDED_ESKETAMINE = {
    **ESKETAMINE_SPEC,
    "patient": {
        "arrive_minutes_before": 15,
        "arrange": ["A ride home: you must not drive until the next day."],
        "bring": ["Your medicine list."],
        "no_driving_after": True,
        "pickup_note": "Be ready at this time.",
    },
}


def esketamine_course(patient: Patient, booked_by) -> Course:
    protocol = make_protocol(GUIDED_ESKETAMINE, slug="test-esketamine-guided")
    protocol.name = "Esketamine nasal spray (Spravato) for TRD"
    protocol.save(update_fields=["name"])
    return make_course(patient=patient, booked_by=booked_by, protocol=protocol)


def add_session(course: Course, site: Site, day: str, hhmm: str = "09:00", **kw) -> Session:
    chair = Resource.objects.filter(site=site, kind="monitoring_chair").first()
    return _make_session(
        course=course,
        start=local(site, day, hhmm),
        minutes=30,
        observation_minutes=120,
        resources=[chair] if chair else [],
        observation_resources=[chair] if chair else [],
        **kw,
    )


def make_feed(kind: str, site: Site, **owner) -> tuple[CalendarFeed, str]:
    """A feed row made directly (the services are tested on their own)."""
    token = new_token("icf")
    feed = CalendarFeed.objects.create(
        kind=kind, site=site, prefix=token[:8], token_hash=hash_token(token), **owner
    )
    return feed, token


def parse_both(body: bytes) -> tuple[Any, Any]:
    """The feed read back by icalendar and by the independent `ics` parser."""
    return Calendar.from_ical(body), ics.Calendar(body.decode("utf-8"))


def events(body: bytes) -> dict[str, dict[str, Any]]:
    """UID -> the properties tests look at, from icalendar, cross-checked with `ics`."""
    cal, other = parse_both(body)
    out = {}
    for event in cal.walk("VEVENT"):
        out[str(event["UID"])] = {
            "summary": str(event["SUMMARY"]),
            "status": str(event["STATUS"]),
            "sequence": int(event["SEQUENCE"]),
            "start": event["DTSTART"].dt,
            "end": event["DTEND"].dt,
            "location": str(event.get("LOCATION", "")),
            "description": str(event.get("DESCRIPTION", "")),
            "alarms": len(event.walk("VALARM")),
        }
    other_events = {e.uid: e for e in other.events}
    assert set(other_events) == set(out), "the two parsers disagree on the events"
    for uid, seen in out.items():
        assert other_events[uid].begin.datetime == seen["start"]
        assert other_events[uid].end.datetime == seen["end"]
        assert other_events[uid].name == seen["summary"]
    return out
