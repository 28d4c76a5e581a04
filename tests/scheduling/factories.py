"""Rows for read-side tests, created directly (no booking service), so the read API can be tested
on its own. Times are UTC instants; `local()` turns a site's wall-clock time into one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from clinic.models import Patient, Resource, Site
from protocols.models import Protocol
from scheduling.models import Course, ResourceHold, Session

TMS_SPEC: dict[str, Any] = {
    "modality": "tms",
    "phases": [{"name": "acute", "sessions": 30, "sessions_per_week": 5}],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}
ESKETAMINE_SPEC = {
    "modality": "esketamine",
    "phases": [{"name": "induction", "sessions": 8, "sessions_per_week": 2}],
    "timing": {
        "procedure_minutes": 30,
        "observation_minutes": 120,
        "procedure_holds": ["monitoring_chair"],
        "observation_holds": ["monitoring_chair"],
    },
}

_mrns = count(1000)


def local(site: Site, day: str, hhmm: str) -> dt.datetime:
    """Wall-clock `day hh:mm` at the site, as an aware UTC datetime."""
    naive = dt.datetime.fromisoformat(f"{day}T{hhmm}")
    return naive.replace(tzinfo=ZoneInfo(site.timezone)).astimezone(dt.UTC)


def make_protocol(spec: dict | None = None, slug: str | None = None) -> Protocol:
    spec = spec or TMS_SPEC
    slug = slug or f"test-{spec['modality']}"
    existing = Protocol.objects.filter(slug=slug, version=1).first()
    if existing is not None:
        return existing
    protocol = Protocol(
        slug=slug,
        version=1,
        modality=spec["modality"],
        name=f"Test {spec['modality']} protocol",
        indication="treatment-resistant depression",
        spec=spec,
        status=Protocol.Status.ACTIVE,
    )
    protocol.parsed  # noqa: B018 - fails here, not in a test, if the spec is invalid
    protocol.save()
    return protocol


def make_patient(site: Site, given: str = "Ann", family: str = "Smith", mrn: str = "") -> Patient:
    return Patient.objects.create(
        site=site,
        mrn=mrn or f"MRN-{next(_mrns)}",
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(1975, 1, 2),
    )


def make_course(
    *,
    patient: Patient,
    booked_by: User,
    protocol: Protocol | None = None,
    start_date: dt.date = dt.date(2026, 3, 2),
    status: str = Course.Status.ACTIVE,
    prescriber: User | None = None,
) -> Course:
    protocol = protocol or make_protocol()
    return Course.objects.create(
        patient=patient,
        protocol=protocol,
        site=patient.site,
        modality=protocol.modality,
        start_date=start_date,
        preferred_time=dt.time(9, 0),
        status=status,
        booked_by=booked_by,
        prescriber=prescriber,
    )


def make_session(
    *,
    course: Course,
    start: dt.datetime,
    minutes: int = 40,
    observation_minutes: int = 0,
    resources: Sequence[Resource] = (),
    observation_resources: Sequence[Resource] = (),
    number: int | None = None,
    status: str = Session.Status.SCHEDULED,
    phase: str = "acute",
) -> Session:
    """A session with a procedure hold on each of `resources` and an observation hold on each
    of `observation_resources` (holds inactive when the session is cancelled or a no-show)."""
    if number is None:
        number = course.sessions.count() + 1
    end = start + dt.timedelta(minutes=minutes)
    obs_end = end + dt.timedelta(minutes=observation_minutes)
    session = Session.objects.create(
        course=course,
        patient=course.patient,
        site=course.site,
        phase=phase,
        phase_index=0,
        number=number,
        start=start,
        end=end,
        observation_end=obs_end,
        status=status,
    )
    holds = [
        ResourceHold(
            session=session,
            resource=r,
            part=ResourceHold.Part.PROCEDURE,
            start=start,
            end=end,
            active=session.active,
        )
        for r in resources
    ] + [
        ResourceHold(
            session=session,
            resource=r,
            part=ResourceHold.Part.OBSERVATION,
            start=end,
            end=obs_end,
            active=session.active,
        )
        for r in observation_resources
    ]
    ResourceHold.objects.bulk_create(holds)
    return session


def bulk_sessions(
    *,
    site: Site,
    booked_by: User,
    slots: Iterable[tuple[Resource, dt.datetime, int]],
    patients: int = 10,
) -> list[Session]:
    """Many sessions fast (bulk inserts): one per (resource, start, minutes), each with one
    procedure hold. Patients are reused round-robin per resource, so a patient's sessions follow
    each other on one resource and never overlap."""
    protocol = make_protocol()
    courses: dict[int, Course] = {}
    numbers: dict[int, int] = {}
    rows: list[Session] = []
    hold_specs: list[tuple[Resource, dt.datetime, dt.datetime]] = []
    resource_patients: dict[int, list[Course]] = {}
    for resource, start, minutes in slots:
        pool = resource_patients.get(resource.pk)
        if pool is None:
            pool = []
            for _ in range(patients):
                patient = make_patient(site, "Bulk", f"Patient{next(_mrns)}")
                course = make_course(patient=patient, booked_by=booked_by, protocol=protocol)
                courses[course.pk] = course
                pool.append(course)
            resource_patients[resource.pk] = pool
        course = pool[len(rows) % len(pool)]
        numbers[course.pk] = numbers.get(course.pk, 0) + 1
        end = start + dt.timedelta(minutes=minutes)
        rows.append(
            Session(
                course=course,
                patient=course.patient,
                site=site,
                phase="acute",
                phase_index=0,
                number=numbers[course.pk],
                start=start,
                end=end,
                observation_end=end,
            )
        )
        hold_specs.append((resource, start, end))
    sessions = Session.objects.bulk_create(rows)
    ResourceHold.objects.bulk_create(
        ResourceHold(
            session=session, resource=resource, part=ResourceHold.Part.PROCEDURE, start=s, end=e
        )
        for session, (resource, s, e) in zip(sessions, hold_specs, strict=True)
    )
    return sessions
