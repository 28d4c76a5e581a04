"""Helpers for the booking (write side) tests: protocol specs, fixed instants, and `book`.

Riverside (conftest `site`) is America/New_York, open Mon-Fri 08:00-18:00, with two TMS
chairs, one ECT suite, two recovery bays and two monitoring chairs. Courses start on Monday
2 March 2026; US daylight saving starts on Sunday 8 March, so the second week of every course
crosses a DST change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from clinic.models import Patient, Resource, Site
from scheduling.enrolment import course_enrol
from tests.support.factories import make_protocol

NOW = dt.datetime(2026, 2, 27, 15, 0, tzinfo=dt.UTC)  # Friday before the courses start
MONDAY = dt.date(2026, 3, 2)
NINE = dt.time(9, 0)
NY = ZoneInfo("America/New_York")

TMS_36 = {
    "modality": "tms",
    "phases": [
        {"name": "acute", "sessions": 30, "sessions_per_week": 5},
        {"name": "taper", "sessions": 6, "sessions_per_week": 3},
    ],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}
TMS_10 = {
    "modality": "tms",
    "phases": [{"name": "acute", "sessions": 10, "sessions_per_week": 5}],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}
ECT_12 = {
    "modality": "ect",
    "phases": [{"name": "acute", "sessions": 12, "sessions_per_week": 3}],
    "timing": {
        "procedure_minutes": 30,
        "observation_minutes": 60,
        "procedure_holds": ["ect_suite"],
        "observation_holds": ["recovery_bay"],
    },
}
ESK = {
    "modality": "esketamine",
    "phases": [
        {"name": "induction", "sessions": 8, "sessions_per_week": 2},
        {"name": "maintenance", "sessions": 4, "sessions_per_week": 1},
    ],
    "timing": {
        "procedure_minutes": 15,
        "observation_minutes": 120,
        "procedure_holds": ["monitoring_chair"],
        "observation_holds": ["monitoring_chair"],
    },
}
SAINT = {
    "modality": "tms",
    "phases": [
        {
            "name": "accelerated",
            "sessions": 50,
            "sessions_per_week": 5,
            "sessions_per_day": 10,
            "min_minutes_between_starts": 50,
        }
    ],
    "timing": {"procedure_minutes": 10, "procedure_holds": ["tms_chair"]},
}


def book(patient: Patient, user: User, spec: dict = TMS_10, slug: str = "tms", **kw: Any):
    """Enrol `patient` through the booking service on the protocol `slug` (made from `spec` if
    it does not exist yet): from MONDAY at NINE, booked at NOW unless `kw` says otherwise."""
    make_protocol(spec, slug)
    kw.setdefault("start_date", MONDAY)
    kw.setdefault("preferred_time", NINE)
    kw.setdefault("now", NOW)
    return course_enrol(
        patient=patient.pk, protocol=slug, site=patient.site_id, by=user, **kw
    ).course


def one_chair(site: Site) -> Resource:
    """Leave the site a single active TMS chair and return it."""
    chairs = list(Resource.objects.filter(site=site, kind="tms_chair").order_by("name"))
    for extra in chairs[1:]:
        extra.active = False
        extra.save()
    return chairs[0]


def local_of(value: dt.datetime) -> dt.datetime:
    return value.astimezone(NY)
