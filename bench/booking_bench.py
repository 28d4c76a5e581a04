"""Booking benchmark: a year of a busy clinic, then the latency and query count of booking.

Run on PostgreSQL (the production database; the figures in bench/README.md come from it):

    bash scripts/with_postgres.sh .venv/bin/python bench/booking_bench.py

It creates its own throwaway test database (Django's test-database utilities), fills it with
about 50,000 sessions (one site, 10 TMS chairs, 6 esketamine monitoring chairs, 3 ECT suites
and 3 recovery bays, every weekday of a year) with bulk inserts, then measures, each as the
median of `--repeat` runs rolled back after each run so the database stays the same:

* booking a 36-session TMS course (the full service: plan, load, place, write);
* the same booking as a dry run (no writes);
* rescheduling one session to a given free time;
* loading a day board of ~190 sessions (scheduling.selectors.day_board), if present.

Each figure is printed in milliseconds beside its ratio to a baseline measured in the same
run: the round trip of `SELECT 1`, and a plain read of 36 session rows by primary key.
Options: --repeat N (default 7), --days N (default 365), --keep-going (ignore missing parts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOW_INSECURE_KEY", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from clinic.models import OpeningHours, Patient, Resource, Site  # noqa: E402
from protocols.models import Protocol  # noqa: E402
from scheduling.enrolment import course_enrol  # noqa: E402
from scheduling.models import Course, ResourceHold, Session  # noqa: E402
from scheduling.session_reschedule import session_reschedule  # noqa: E402

ZONE_NAME = "America/New_York"
YEAR_START = dt.date(2026, 1, 5)  # a Monday
NOW = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)
OPENS, CLOSES = dt.time(8, 0), dt.time(18, 0)

TMS_36: dict[str, Any] = {
    "modality": "tms",
    "phases": [
        {"name": "acute", "sessions": 30, "sessions_per_week": 5},
        {"name": "taper", "sessions": 6, "sessions_per_week": 3},
    ],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}
ESK: dict[str, Any] = {
    "modality": "esketamine",
    "phases": [{"name": "induction", "sessions": 8, "sessions_per_week": 2}],
    "timing": {
        "procedure_minutes": 15,
        "observation_minutes": 120,
        "procedure_holds": ["monitoring_chair"],
        "observation_holds": ["monitoring_chair"],
    },
}
ECT: dict[str, Any] = {
    "modality": "ect",
    "phases": [{"name": "acute", "sessions": 12, "sessions_per_week": 3}],
    "timing": {
        "procedure_minutes": 30,
        "observation_minutes": 45,
        "procedure_holds": ["ect_suite"],
        "observation_holds": ["recovery_bay"],
    },
}


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def rolled_back(fn: Callable[[], Any]) -> Callable[[], int]:
    """Run fn in a transaction that is rolled back; return the number of queries it made."""

    def run() -> int:
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            fn()
            transaction.set_rollback(True)
        return len(ctx.captured_queries)

    return run


def local(day: dt.date, minute: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    value = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    return value.replace(tzinfo=ZoneInfo(ZONE_NAME)).astimezone(dt.UTC)


def seed(days: int) -> dict[str, Any]:
    """A year of a busy clinic, bulk-inserted (no booking service: that is what we measure)."""
    site = Site.objects.create(name="Bench", slug="bench", timezone=ZONE_NAME, rems_certified=True)
    for weekday in range(5):
        OpeningHours.objects.create(site=site, weekday=weekday, opens=OPENS, closes=CLOSES)
    res: dict[str, list[Resource]] = {}
    for kind, count in [
        ("tms_chair", 10),
        ("monitoring_chair", 6),
        ("ect_suite", 3),
        ("recovery_bay", 3),
    ]:
        res[kind] = [
            Resource.objects.create(site=site, kind=kind, name=f"{kind} {i + 1}")
            for i in range(count)
        ]
    user = User.objects.create_superuser("bench", password="bench-password-123")
    site.staff.add(user)
    protocols = {}
    for slug, spec in [("tms", TMS_36), ("esk", ESK), ("ect", ECT)]:
        protocols[slug] = Protocol.objects.create(
            slug=slug,
            version=1,
            modality=spec["modality"],
            name=slug,
            indication="bench",
            spec=spec,
            status=Protocol.Status.ACTIVE,
        )

    # Lanes: (protocol, minutes of procedure, minutes of observation, resources, start minute).
    # A lane is one chair at one time of day; a new patient takes it every `length` sessions.
    lanes: list[tuple[str, int, int, list[Resource], list[Resource], int, int]] = []
    for i, chair in enumerate(res["tms_chair"]):
        starts = range(8 * 60, 18 * 60 - 40 + 1, 40)
        if i == len(res["tms_chair"]) - 1:
            starts = starts[::2]  # the last chair is half free: room for new bookings
        lanes += [("tms", 40, 0, [chair], [], m, 36) for m in starts]
    for chair in res["monitoring_chair"]:
        lanes += [("esk", 15, 120, [chair], [chair], m, 8) for m in (480, 630, 780, 930)]
    for i, suite in enumerate(res["ect_suite"]):
        bay = res["recovery_bay"][i]
        lanes += [("ect", 30, 45, [suite], [bay], m, 12) for m in range(480, 1080 - 75 + 1, 75)]

    weekdays = [
        YEAR_START + dt.timedelta(days=d)
        for d in range(days)
        if (YEAR_START + dt.timedelta(days=d)).weekday() < 5
    ]
    patients: list[Patient] = []
    courses: list[Course] = []
    plan: list[tuple[int, int, dt.date, Any]] = []  # (course index, number, day, lane)
    for lane in lanes:
        slug, _p, _o, _r, _ro, _m, length = lane
        for n, day in enumerate(weekdays):
            if n % length == 0:
                patients.append(
                    Patient(
                        site=site,
                        mrn=f"B{len(patients):06d}",
                        given_name="Bench",
                        family_name=f"P{len(patients)}",
                        date_of_birth=dt.date(1970, 1, 1),
                        rems_enrolled=True,
                    )
                )
                courses.append(
                    Course(
                        patient=patients[-1],
                        protocol=protocols[slug],
                        site=site,
                        modality=protocols[slug].modality,
                        start_date=day,
                        preferred_time=dt.time(lane[5] // 60, lane[5] % 60),
                        status=Course.Status.ACTIVE,
                        booked_by=user,
                    )
                )
            plan.append((len(courses) - 1, n % length + 1, day, lane))
    Patient.objects.bulk_create(patients, batch_size=2000)
    for c in courses:
        c.patient = c.patient  # pick up the patient's new id
    Course.objects.bulk_create(courses, batch_size=2000)
    sessions, holds_for = [], []
    for ci, number, day, lane in plan:
        _slug, proc, obs, res_proc, res_obs, minute, _len = lane
        start = local(day, minute)
        end = start + dt.timedelta(minutes=proc)
        obs_end = end + dt.timedelta(minutes=obs)
        course = courses[ci]
        sessions.append(
            Session(
                course=course,
                patient=course.patient,
                site=site,
                phase="acute",
                phase_index=0,
                number=number,
                start=start,
                end=end,
                observation_end=obs_end,
                active=True,
            )
        )
        holds_for.append(
            [(r, "procedure", start, end) for r in res_proc]
            + [(r, "observation", end, obs_end) for r in res_obs]
        )
    Session.objects.bulk_create(sessions, batch_size=5000)
    holds = [
        ResourceHold(session=s, resource=r, part=part, start=a, end=b)
        for s, spec in zip(sessions, holds_for, strict=True)
        for r, part, a, b in spec
    ]
    ResourceHold.objects.bulk_create(holds, batch_size=5000)
    return {"site": site, "user": user, "sessions": len(sessions), "holds": len(holds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        t0 = time.perf_counter()
        data = seed(args.days)
        seed_s = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would give
        site, user = data["site"], data["user"]
        print(
            # Each backend's DatabaseWrapper sets `Database` (the driver); the base stub does not.
            f"database: {connection.vendor} {connection.Database.__name__}; "  # type: ignore[attr-defined]
            f"python {platform.python_version()}; {platform.machine()}"
        )
        print(f"seeded {data['sessions']:,} sessions and {data['holds']:,} holds in {seed_s:.1f} s")

        def select_one() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        ids = list(Session.objects.order_by("id").values_list("id", flat=True)[10000:10036])

        def read_36() -> None:
            list(Session.objects.filter(pk__in=ids))

        rows: list[tuple[str, float, int | None]] = []
        base_rt, _ = median_ms(select_one, args.repeat * 5)
        base_36, _ = median_ms(read_36, args.repeat * 5)
        middle = YEAR_START + dt.timedelta(days=7 * 20)  # a Monday in May

        def enrol(dry_run: bool) -> Callable[[], Any]:
            def run() -> None:
                person = Patient.objects.create(
                    site=site,
                    mrn=f"NEW-{time.perf_counter_ns()}",
                    given_name="New",
                    family_name="Patient",
                    date_of_birth=dt.date(1980, 1, 1),
                )
                enrolment = course_enrol(
                    patient=person.pk,
                    protocol="tms",
                    site=site.pk,
                    start_date=middle,
                    preferred_time=dt.time(9, 0),
                    by=user,
                    now=NOW,
                    dry_run=dry_run,
                )
                assert len(enrolment.sessions) == 36

            return run

        for label, dry in [("book a 36-session TMS course", False), ("  same, dry run", True)]:
            ms, queries = median_ms(rolled_back(enrol(dry)), args.repeat)
            rows.append((label, ms, queries - 1))  # minus the patient INSERT of the setup

        # Reschedule a TMS session on the half-free chair to a free time the same day.
        chair = Resource.objects.filter(site=site, kind="tms_chair").order_by("-name").first()
        hold = (
            ResourceHold.objects.filter(resource=chair, start__gte=local(middle, 0))
            .order_by("start")
            .first()
        )
        assert hold is not None  # the seed books every chair on weekdays
        target = local(middle, 8 * 60 + 40)

        def reschedule() -> None:
            session_reschedule(session_id=hold.session_id, to=target, by=user, now=NOW)

        ms, queries = median_ms(rolled_back(reschedule), args.repeat)
        rows.append(("reschedule one session", ms, queries))

        from scheduling.selectors import day_board

        def board() -> None:
            result = day_board(user=user, site_id=site.pk, day=middle)
            len(list(result.sessions))

        count = Session.objects.filter(
            site=site,
            start__gte=local(middle, 0),
            start__lt=local(middle + dt.timedelta(days=1), 0),
        ).count()
        ms, queries = median_ms(rolled_back(board), args.repeat)
        rows.append((f"day board ({count} sessions)", ms, queries))

        from scheduling.selectors import availability

        def free_slots(kind: str, minutes: int) -> Callable[[], None]:
            def run() -> None:
                result = availability(
                    user=user,
                    site_id=site.pk,
                    kind=kind,
                    first=middle,
                    last=middle + dt.timedelta(days=13),
                    minutes=minutes,
                    now=NOW,
                )
                slots[kind] = sum(len(found) for found in result.slots.values())

            return run

        slots: dict[str, int] = {}
        for kind, minutes in [("tms_chair", 40), ("recovery_bay", 30)]:
            ms, queries = median_ms(rolled_back(free_slots(kind, minutes)), args.repeat)
            rows.append((f"availability 14d {kind} ({slots[kind]} free)", ms, queries))

        print(f"baseline: SELECT 1 round trip {base_rt:.2f} ms; read 36 rows {base_36:.2f} ms")
        print(
            f"{'operation':42} {'median ms':>10} {'x SELECT 1':>11} {'x read 36':>10} "
            f"{'queries':>8}"
        )
        for label, ms, queries in rows:
            print(
                f"{label:42} {ms:10.1f} {ms / base_rt:11.0f} {ms / base_36:10.1f} "
                f"{queries if queries is not None else '-':>8}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
