"""Courses and sessions for charting tests, created directly from the built-in protocols.

Times are fixed UTC instants; `local()` turns a site's wall-clock time into one. The default
day, Monday 9 March 2026, is the first weekday after the US spring-forward (8 March), so
America/New_York is on EDT (UTC-4) while the week before was EST (UTC-5).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User

from clinic.models import Patient, Site
from protocols.models import Protocol
from scheduling.models import Course, Session

PROTOCOL_LIBRARY = Path(settings.BASE_DIR) / "protocols" / "library"
PROTOCOL_FOR = {"tms": "tms-10hz-standard", "ect": "ect-acute", "esketamine": "esketamine-trd"}


def local(site: Site, day: str, hhmm: str) -> dt.datetime:
    naive = dt.datetime.fromisoformat(f"{day}T{hhmm}")
    return naive.replace(tzinfo=ZoneInfo(site.timezone)).astimezone(dt.UTC)


def builtin_protocol(modality: str) -> Protocol:
    slug = PROTOCOL_FOR[modality]
    data = json.loads((PROTOCOL_LIBRARY / f"{slug}.json").read_text())
    protocol, _ = Protocol.objects.get_or_create(
        slug=data["slug"],
        version=data["version"],
        defaults={
            "modality": data["modality"],
            "name": data["name"],
            "indication": data.get("indication", ""),
            "spec": data["spec"],
            "status": Protocol.Status.ACTIVE,
            "builtin": True,
        },
    )
    return protocol


def make_course(*, patient: Patient, modality: str, booked_by: User) -> Course:
    protocol = builtin_protocol(modality)
    return Course.objects.create(
        patient=patient,
        protocol=protocol,
        site=patient.site,
        modality=protocol.modality,
        start_date=dt.date(2026, 3, 9),
        preferred_time=dt.time(9, 0),
        status=Course.Status.ACTIVE,
        booked_by=booked_by,
    )


def make_session(
    *, course: Course, start: dt.datetime, number: int | None = None, status: str = "scheduled"
) -> Session:
    timing = course.protocol.parsed.timing
    end = start + dt.timedelta(minutes=timing.procedure_minutes)
    return Session.objects.create(
        course=course,
        patient=course.patient,
        site=course.site,
        phase=course.protocol.parsed.phases[0].name,
        phase_index=0,
        number=number if number is not None else course.sessions.count() + 1,
        start=start,
        end=end,
        observation_end=end + dt.timedelta(minutes=timing.observation_minutes),
        status=status,
    )
