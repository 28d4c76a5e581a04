"""Calendar feed benchmark: a staff feed of 1,000 sessions served through Django.

    .venv/bin/python bench/feeds_bench.py                      # SQLite
    bash scripts/with_postgres.sh .venv/bin/python bench/feeds_bench.py

Creates a throwaway test database, one site, a nurse with a staff feed and 1,000 sessions (bulk
inserts, 10 a weekday for 20 weeks across the March DST change, each holding a chair), then
measures, each as the median of `--repeat` interleaved rounds:

* GET /calendar/<token>.ics through Django's test client (URL routing, middleware, token lookup,
  state query, session load, the pure builder, serialisation): time and queries;
* the floor, in the same run: `icalendar` building and serialising the same 1,000 events
  directly (the same properties and the same texts, prepared beforehand), with no Django and
  none of our code; the ratio of the two is the figure the issue targets (at most 1.5x);
* our pure builder alone (scheduling.feeds.feed_bytes on preloaded sessions);
* the 304 answer to If-None-Match (time and queries), and HEAD.
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

import icalendar  # noqa: E402
import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from icalendar import Calendar, Event, Timezone, vDuration  # noqa: E402

from clinic.models import Patient, Resource, Site  # noqa: E402
from clinic.tokens import hash_token, new_token  # noqa: E402
from protocols.models import Protocol  # noqa: E402
from scheduling.feed_selectors import feed_by_token, feed_options, feed_sessions  # noqa: E402
from scheduling.feeds import event_text, feed_bytes  # noqa: E402
from scheduling.models import CalendarFeed, Course, ResourceHold, Session  # noqa: E402

ZONE = "America/New_York"
FIRST_DAY = dt.date(2026, 1, 5)  # a Monday; 20 weeks run past the 8 March DST change
NOW = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, int]:
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        queries = len(captured)
    return statistics.median(times), queries


def seed(count: int) -> tuple[str, User]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE)
    site = Site.objects.create(name="Bench", slug="bench", timezone=ZONE)
    nurse = User.objects.create_user("bench-nurse", first_name="Nina", last_name="Nurse")
    nurse.groups.add(Group.objects.get(name="nurse"))
    site.staff.add(nurse)
    chairs = [
        Resource.objects.create(site=site, kind="tms_chair", name=f"TMS {i}") for i in range(5)
    ]
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
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        for i in range(10)
    )
    courses = Course.objects.bulk_create(
        Course(
            patient=p,
            protocol=protocol,
            site=site,
            modality="tms",
            start_date=FIRST_DAY,
            preferred_time=dt.time(9),
            booked_by=nurse,
        )
        for p in patients
    )
    sessions: list[Session] = []
    chair_of: list[Resource] = []
    day, n = FIRST_DAY, 0
    while len(sessions) < count:
        if day.weekday() < 5:
            for slot in range(10):
                if len(sessions) == count:
                    break
                start = dt.datetime.combine(day, dt.time(8 + slot % 10), zone).astimezone(dt.UTC)
                course = courses[slot]
                n += 1
                sessions.append(
                    Session(
                        course=course,
                        patient=course.patient,
                        site=site,
                        phase="acute",
                        phase_index=0,
                        number=n,
                        start=start,
                        end=start + dt.timedelta(minutes=40),
                        observation_end=start + dt.timedelta(minutes=40),
                    )
                )
                chair_of.append(chairs[slot % len(chairs)])
        day += dt.timedelta(days=1)
    sessions = Session.objects.bulk_create(sessions, batch_size=2000)
    ResourceHold.objects.bulk_create(
        ResourceHold(session=s, resource=r, part="procedure", start=s.start, end=s.end)
        for s, r in zip(sessions, chair_of, strict=True)
    )
    token = new_token("icf")
    CalendarFeed.objects.create(
        kind="staff", site=site, user=nurse, prefix=token[:8], token_hash=hash_token(token)
    )
    return token, nurse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args()
    setup_test_environment()
    # "Now" is just before the sessions, so the whole feed is in its window.
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    # This bench measures building a feed: no rate limit, and (below) no cached body.
    settings.FEED_RATE_LIMIT = 10**9
    call_command("createcachetable", verbosity=0)
    try:
        token, _ = seed(args.sessions)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        client = Client()
        url = f"/calendar/{token}.ics"
        first = client.get(url, secure=True)
        assert first.status_code == 200, first.status_code
        etag = first["ETag"]
        body_kb = len(first.content) / 1024

        # The floor: the same events, texts prepared beforehand, straight into icalendar.
        feed = feed_by_token(token)
        assert feed is not None
        options = feed_options(feed)
        loaded = feed_sessions(feed, NOW)
        assert len(loaded) == args.sessions
        zone = options.zone
        prepared = [
            (
                s,
                event_text(options, s),
                s.start.astimezone(zone),
                s.observation_end.astimezone(zone),
            )
            for s in loaded
        ]

        def floor() -> bytes:
            cal = Calendar()
            cal.add("prodid", "-//bench//EN")
            cal.add("version", "2.0")
            cal.add("x-wr-calname", options.name)
            cal.add("x-wr-timezone", zone.key)
            cal.add(
                "refresh-interval", vDuration(options.refresh), parameters={"VALUE": "DURATION"}
            )
            cal.add("x-published-ttl", vDuration(options.refresh))
            cal.add_component(
                Timezone.from_tzinfo(
                    zone,
                    tzid=zone.key,
                    first_date=dt.date(2025, 1, 1),
                    last_date=dt.date(2028, 1, 1),
                )
            )
            for s, text, start, end in prepared:
                event = Event()
                event.add("uid", f"session-{s.id}@bench")
                event.add("dtstamp", s.updated_at)
                event.add("last-modified", s.updated_at)
                event.add("sequence", s.sequence)
                event.add("dtstart", start)
                event.add("dtend", end)
                event.add("summary", text.summary)
                event.add("location", text.location)
                event.add("description", text.description)
                event.add("status", "CONFIRMED")
                event.add("transp", "OPAQUE")
                event.add("class", "PRIVATE")
                event.add("categories", [s.modality.upper()])
                cal.add_component(event)
            return cal.to_ical()

        def full() -> None:
            caches["feeds"].clear()  # a build every time (bench/feed_load_bench.py: warm)
            response = client.get(url, secure=True)
            assert response.status_code == 200

        def builder() -> None:
            feed_bytes(options, loaded)

        def not_modified() -> None:
            response = client.get(url, headers={"if-none-match": etag}, secure=True)
            assert response.status_code == 304

        def head() -> None:
            assert client.head(url, secure=True).status_code == 200

        # Interleaved rounds: on a shared machine, load drifts; measuring the floor and the
        # feed side by side in every round keeps their ratio fair.
        cases: list[tuple[str, Callable[[], Any], bool]] = [
            ("icalendar alone (floor)", floor, False),
            ("pure builder (feeds.feed_bytes)", builder, True),
            (f"GET staff feed, {args.sessions} sessions", full, True),
            ("HEAD", head, True),
            ("GET with If-None-Match (304)", not_modified, True),
        ]
        times: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        counts: dict[str, int] = {}
        for _ in range(args.repeat):
            for label, fn, count in cases:
                ms, queries = median_ms(fn, 1)
                times[label].append(ms)
                if count:
                    counts[label] = queries
        floor_ms = statistics.median(times[cases[0][0]])
        rows = [
            (label, statistics.median(times[label]), counts.get(label)) for label, _, _ in cases
        ]
        print(
            f"database: {connection.vendor}; python {platform.python_version()}; "
            f"icalendar {icalendar.__version__}; {platform.machine()}; feed {body_kb:.0f} KiB"
        )
        print(f"{'what':40} {'median ms':>10} {'x floor':>8} {'queries':>8}")
        for label, ms, used in rows:
            shown = "-" if used is None else str(used)
            print(f"{label:40} {ms:10.1f} {ms / floor_ms:8.2f} {shown:>8}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        traveller.stop()
        teardown_test_environment()


if __name__ == "__main__":
    main()
