"""The tests' one set of factories: rows created directly (no service), so each test builds only
what it reads. Times are UTC instants; `tests.support.clock.local` turns a site's wall-clock
time into one. Booking through the real service is `tests.scheduling.booking_support.book`.

Two days anchor the data: the booking and read-side tests' courses start on Monday 2 March
2026; the charting tests' (built-in protocols) on Monday 9 March 2026, the first weekday after
the US spring-forward (8 March), so America/New_York is on EDT (UTC-4) that week and on EST
(UTC-5) the week before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from itertools import count
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User

from clinic.models import OpeningHours, Patient, Resource, Site
from protocols.models import Protocol
from scheduling.models import Course, ResourceHold, Session

PASSWORD = "correct-horse-battery-1"
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
PROTOCOL_LIBRARY = Path(settings.BASE_DIR) / "protocols" / "library"
PROTOCOL_FOR = {"tms": "tms-10hz-standard", "ect": "ect-acute", "esketamine": "esketamine-trd"}
BOOKING_START = dt.date(2026, 3, 2)
CHARTING_START = dt.date(2026, 3, 9)

_mrns = count(1000)


def make_site(slug: str = "riverside", tz: str = "America/New_York", country: str = "US") -> Site:
    """Open Mon-Fri 08:00-18:00, with two TMS chairs, an ECT suite, two recovery bays and two
    monitoring chairs."""
    site = Site.objects.create(name=slug.title(), slug=slug, timezone=tz, holiday_country=country)
    for weekday in range(5):
        OpeningHours.objects.create(
            site=site, weekday=weekday, opens=dt.time(8, 0), closes=dt.time(18, 0)
        )
    for kind, names in {
        "tms_chair": ["TMS 1", "TMS 2"],
        "ect_suite": ["ECT suite"],
        "recovery_bay": ["Recovery 1", "Recovery 2"],
        "monitoring_chair": ["Spravato 1", "Spravato 2"],
    }.items():
        for name in names:
            Resource.objects.create(site=site, kind=kind, name=f"{name}")
    return site


def make_user(username: str, role: str | None, site: Site | None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if site is not None:
        site.staff.add(user)
    return user


def make_patient(
    site: Site,
    mrn: str = "",
    *,
    given: str = "Pat",
    family: str = "",
    born: dt.date = dt.date(1980, 1, 1),
    rems: bool = True,
) -> Patient:
    """A patient ready for any course (REMS-enrolled); the family name defaults to the MRN, so
    each patient made reads differently."""
    mrn = mrn or f"MRN-{next(_mrns)}"
    return Patient.objects.create(
        site=site,
        mrn=mrn,
        given_name=given,
        family_name=family or mrn,
        date_of_birth=born,
        rems_enrolled=rems,
    )


def make_protocol(
    spec: dict | None = None,
    slug: str | None = None,
    *,
    status: str = Protocol.Status.ACTIVE,
    version: int = 1,
) -> Protocol:
    """A protocol written for the test (TMS_SPEC by default), or the one already made with
    this slug and version."""
    spec = spec or TMS_SPEC
    slug = slug or f"test-{spec['modality']}"
    existing = Protocol.objects.filter(slug=slug, version=version).first()
    if existing is not None:
        return existing
    protocol = Protocol(
        slug=slug,
        version=version,
        modality=spec["modality"],
        name=f"Test {spec['modality']} protocol",
        indication="treatment-resistant depression",
        spec=spec,
        status=status,
    )
    protocol.parsed  # noqa: B018 - fails here, not in a test, if the spec is invalid
    protocol.save()
    return protocol


def builtin_protocol(modality: str) -> Protocol:
    """The library protocol of this modality (protocols/library), as `load_protocols` stores it."""
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


def make_course(
    *,
    patient: Patient,
    booked_by: User,
    protocol: Protocol | None = None,
    modality: str | None = None,
    start_date: dt.date | None = None,
    status: str = Course.Status.ACTIVE,
    prescriber: User | None = None,
) -> Course:
    """A course on `protocol`, or on the built-in protocol of `modality` (starting on
    CHARTING_START), or on `make_protocol()` (starting on BOOKING_START)."""
    assert protocol is None or modality is None, "give a protocol or a modality, not both"
    if protocol is None:
        protocol = builtin_protocol(modality) if modality else make_protocol()
    if start_date is None:
        start_date = CHARTING_START if modality else BOOKING_START
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
    minutes: int | None = None,
    observation_minutes: int | None = None,
    resources: Sequence[Resource] = (),
    observation_resources: Sequence[Resource] = (),
    number: int | None = None,
    status: str = Session.Status.SCHEDULED,
    phase: str | None = None,
) -> Session:
    """A session timed as its protocol says (unless `minutes` or `observation_minutes` say
    otherwise), with a procedure hold on each of `resources` and an observation hold on each of
    `observation_resources` (holds inactive when the session is cancelled or a no-show)."""
    parsed = course.protocol.parsed
    if minutes is None:
        minutes = parsed.timing.procedure_minutes
    if observation_minutes is None:
        observation_minutes = parsed.timing.observation_minutes
    if number is None:
        number = course.sessions.count() + 1
    end = start + dt.timedelta(minutes=minutes)
    obs_end = end + dt.timedelta(minutes=observation_minutes)
    session = Session.objects.create(
        course=course,
        patient=course.patient,
        site=course.site,
        phase=phase or parsed.phases[0].name,
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
                patient = make_patient(site, given="Bulk", family=f"Patient{next(_mrns)}")
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
