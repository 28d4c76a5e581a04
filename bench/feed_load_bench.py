"""Feed load benchmark (issue 16, point 9): a 10,000-session site's staff feed, cold and warm,
and a plain API request's p95 while 8 clients fetch feeds, all in one run.

    .venv/bin/python bench/feed_load_bench.py                  # SQLite (a file, for threads)
    bash scripts/with_postgres.sh .venv/bin/python bench/feed_load_bench.py

Seeds one site with `--sessions` sessions (default 10,000) over the next 14 months (so the
12-month window leaves some out), 8 nurses with a staff feed each, then measures:

* cold: GET of a staff feed with the body cache emptied first (window, load, build);
* warm: the same GET with the body in the database cache table (token, ETag, cache read);
* `GET /api/v1/me` alone (the baseline, `--api-requests` of them) and the same requests while
  8 threads fetch the 8 feeds in a loop (each thread is one calendar client; the rate limit
  answers them 429 once a token passes FEED_RATE_LIMIT in its window). p50 and p95, and the
  ratio loaded / baseline. Threads share one process (and its GIL), like gunicorn's threads in
  one worker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOW_INSECURE_KEY", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

from clinic.models import ApiToken, Patient, Resource, Site  # noqa: E402
from clinic.tokens import hash_token, new_token  # noqa: E402
from protocols.models import Protocol  # noqa: E402
from scheduling.models import CalendarFeed, Course, ResourceHold, Session  # noqa: E402

ZONE = "America/New_York"
FETCHERS = 8


def seed(count: int) -> tuple[list[str], str]:
    """`count` sessions from tomorrow over 14 months; 8 staff feeds; an API token."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE)
    site = Site.objects.create(name="Bench", slug="bench", timezone=ZONE)
    nurse_group = Group.objects.get(name="nurse")
    nurses = []
    for i in range(FETCHERS):
        nurse = User.objects.create_user(f"nurse{i}", first_name="Nina", last_name=f"N{i}")
        nurse.groups.add(nurse_group)
        site.staff.add(nurse)
        nurses.append(nurse)
    chairs = [Resource.objects.create(site=site, kind="tms_chair", name=f"T{i}") for i in range(8)]
    protocol = Protocol.objects.create(
        slug="bench-tms",
        version=1,
        modality="tms",
        name="Standard 10 Hz rTMS",
        indication="TRD",
        status="active",
        spec={
            "modality": "tms",
            "phases": [{"name": "acute", "sessions": 30, "sessions_per_week": 5}],
            "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
        },
    )
    patients = Patient.objects.bulk_create(
        Patient(
            site=site,
            mrn=f"B-{i:05d}",
            given_name=f"G{i}",
            family_name=f"F{i}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        for i in range(40)
    )
    courses = Course.objects.bulk_create(
        Course(
            patient=p,
            protocol=protocol,
            site=site,
            modality="tms",
            start_date=dt.date.today(),
            preferred_time=dt.time(9),
            booked_by=nurses[0],
        )
        for p in patients
    )
    weekdays = [
        d
        for d in (dt.date.today() + dt.timedelta(days=i) for i in range(1, 14 * 31))
        if d.weekday() < 5
    ]
    per_day = -(-count // len(weekdays))
    sessions, chair_of = [], []
    for n in range(count):
        day, slot = weekdays[n // per_day], n % per_day
        start = dt.datetime.combine(day, dt.time(8), zone) + dt.timedelta(minutes=20 * slot)
        course = courses[n % len(courses)]
        sessions.append(
            Session(
                course=course,
                patient=course.patient,
                site=site,
                phase="acute",
                phase_index=0,
                number=n + 1,
                start=start.astimezone(dt.UTC),
                end=(start + dt.timedelta(minutes=40)).astimezone(dt.UTC),
                observation_end=(start + dt.timedelta(minutes=40)).astimezone(dt.UTC),
            )
        )
        chair_of.append(chairs[slot % len(chairs)])
    sessions = Session.objects.bulk_create(sessions, batch_size=2000)
    ResourceHold.objects.bulk_create(
        (
            ResourceHold(session=s, resource=r, part="procedure", start=s.start, end=s.end)
            for s, r in zip(sessions, chair_of, strict=True)
        ),
        batch_size=2000,
    )
    tokens = []
    for nurse in nurses:
        token = new_token("icf")
        CalendarFeed.objects.create(
            kind="staff", site=site, user=nurse, prefix=token[:8], token_hash=hash_token(token)
        )
        tokens.append(token)
    api = new_token("ict")
    ApiToken.objects.create(
        user=nurses[0], name="bench", prefix=api[:8], token_hash=hash_token(api)
    )
    return tokens, api


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def api_times(api: str, n: int) -> list[float]:
    client = Client()

    def one() -> None:
        assert (
            client.get(
                "/api/v1/me", headers={"authorization": f"Bearer {api}"}, secure=True
            ).status_code
            == 200
        )

    return [timed(one) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--api-requests", type=int, default=60)
    args = parser.parse_args()
    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, not memory: the fetcher threads need their own connections to the same data.
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        connection.settings_dict["TEST"]["NAME"] = str(path)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    call_command("createcachetable", verbosity=0)
    try:
        tokens, api = seed(args.sessions)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        client = Client()
        url = f"/calendar/{tokens[0]}.ics"
        from django.conf import settings

        limit = settings.FEED_RATE_LIMIT
        settings.FEED_RATE_LIMIT = 10**9  # cold/warm: measure the work, not the limit

        def cold() -> None:
            caches["feeds"].clear()
            response = client.get(url, secure=True)
            assert response.status_code == 200, (response.status_code, response.content[:200])

        def warm() -> None:
            assert client.get(url, secure=True).status_code == 200

        first = client.get(url, secure=True)
        size_kb = len(first.content) / 1024
        events = first.content.count(b"BEGIN:VEVENT")
        cold_ms = statistics.median(timed(cold) for _ in range(args.repeat))
        cold()
        warm_ms = statistics.median(timed(warm) for _ in range(args.repeat * 4))
        settings.FEED_RATE_LIMIT = limit

        idle = api_times(api, args.api_requests)
        caches["feeds"].clear()
        stop = threading.Event()
        answers: Counter[int] = Counter()

        def fetch(token: str) -> None:
            c = Client()
            try:
                while not stop.is_set():
                    answers[c.get(f"/calendar/{token}.ics", secure=True).status_code] += 1
            finally:
                connections.close_all()

        threads = [threading.Thread(target=fetch, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        time.sleep(0.5)
        loaded = api_times(api, args.api_requests)
        stop.set()
        for t in threads:
            t.join()

        print(
            f"database: {connection.vendor}; python {platform.python_version()}; "
            f"{platform.machine()}; {args.sessions} sessions seeded over 14 months; staff feed "
            f"{events} events in the 12-month window, {size_kb:.0f} KiB"
        )
        print(f"{'what':48} {'ms':>9} {'ratio':>8}")
        print(f"{'staff feed, cold (body built)':48} {cold_ms:9.1f} {1:8.2f}")
        print(f"{'staff feed, warm (database cache)':48} {warm_ms:9.1f} {warm_ms / cold_ms:8.3f}")
        print(f"{'GET /api/v1/me p50, alone':48} {statistics.median(idle):9.1f} {1:8.2f}")
        print(f"{'GET /api/v1/me p95, alone (baseline)':48} {p95(idle):9.1f} {1:8.2f}")
        mid_idle, mid_loaded = statistics.median(idle), statistics.median(loaded)
        label = "GET /api/v1/me p50, 8 clients fetching feeds"
        print(f"{label:48} {mid_loaded:9.1f} {mid_loaded / mid_idle:8.2f}")
        label = "GET /api/v1/me p95, 8 clients fetching feeds"
        print(f"{label:48} {p95(loaded):9.1f} {p95(loaded) / p95(idle):8.2f}")
        print(f"feed answers during the load: {dict(sorted(answers.items()))} (429: rate limit)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
