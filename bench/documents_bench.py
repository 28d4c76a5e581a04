"""Documents benchmark: the course summary of a 36-session course with 12 PHQ-9
administrations (selectors + renderer: time and queries) beside a bare reportlab document with
the same schedule table built directly in the same run (the ratio; target at most 1.5x), and a
200-session run sheet.

    .venv/bin/python bench/documents_bench.py [--repeat N]

It creates a throwaway test database (SQLite by default; DATABASE_URL for PostgreSQL). The
summary, the bare table and the schedule-only renderer are timed in --repeat interleaved rounds
(default 9; each round runs each of them once, so load drifting on a shared machine hits all of
them alike); each time is the median over the rounds, and the ratio is the median of the
per-round ratios. The run sheet is the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("ALLOW_INSECURE_KEY", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402
from reportlab.lib.pagesizes import LETTER  # noqa: E402
from reportlab.platypus import Flowable, SimpleDocTemplate, Table  # noqa: E402

from charting.documents.course_summary import CourseSummaryRenderer  # noqa: E402
from charting.documents.run_sheet import RunSheetRenderer  # noqa: E402
from charting.form_templates import template_load_library  # noqa: E402
from charting.selectors.documents.course_summary import course_summary_data  # noqa: E402
from charting.selectors.documents.run_sheet import run_sheet_data  # noqa: E402
from clinic.models import ROLES, Patient  # noqa: E402
from scheduling.models import Session  # noqa: E402
from tests.charting.documents_support import make_rich_course  # noqa: E402
from tests.support.clock import local  # noqa: E402
from tests.support.factories import make_course, make_session, make_site, make_user  # noqa: E402


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0)
    try:
        for role in ROLES:
            Group.objects.get_or_create(name=role)
        template_load_library()
        site = make_site()
        staff = {r: make_user(r[:4] + "x", r, site) for r in ("scheduler", "nurse", "clinician")}
        patient = Patient.objects.create(
            site=site,
            mrn="B-1",
            given_name="Bench",
            family_name="Patient",
            date_of_birth=dt.date(1980, 1, 1),
        )
        course = make_rich_course(
            patient=patient,
            booked_by=staff["scheduler"],
            clinician=staff["clinician"],
            nurse=staff["nurse"],
            first=local(site, "2026-03-09", "09:00"),
            sessions=36,
            scales=12,
        )
        now = timezone.now()

        def summary() -> bytes:
            return CourseSummaryRenderer(
                course_summary_data(course_id=course.pk, now=now, answers_shown=True)
            ).render()

        with CaptureQueriesContext(connection) as queries:
            summary()
        zone = site.zone

        def bare() -> bytes:
            # The floor: the same schedule table (same rows), no selectors, header or chart.
            rows = [["#", "Phase", "Date", "Time", "Resource", "Status", "Note"]] + [
                [
                    str(s.number),
                    s.phase,
                    f"{s.start.astimezone(zone):%a %d %b %Y}",
                    f"{s.start.astimezone(zone):%H:%M}-{s.end.astimezone(zone):%H:%M}",
                    "TMS 1",
                    s.get_status_display(),
                    s.status_reason,
                ]
                for s in Session.objects.filter(course=course).order_by("number")
            ]
            buffer = io.BytesIO()
            SimpleDocTemplate(buffer, pagesize=LETTER).build([Table(rows, repeatRows=1)])
            return buffer.getvalue()

        class ScheduleOnly(CourseSummaryRenderer):
            # Our pipeline (selectors, base class, cell fitting, the page-numbering canvas, header
            # and footer)
            # with only the schedule table in the story: the same content as `bare`.
            def story(self) -> list[Flowable]:
                return self._schedule()

        def schedule_only() -> bytes:
            return ScheduleOnly(
                course_summary_data(course_id=course.pk, now=now, answers_shown=True)
            ).render()

        cases = {"bare": bare, "schedule": schedule_only, "summary": summary}
        for fn in cases.values():
            fn()  # warm: imports, font metrics, the first query's statement cache
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, fn in cases.items():
                t = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t) * 1000)
        bare_ms, schedule_ms, summary_ms = (
            statistics.median(times[n]) for n in ("bare", "schedule", "summary")
        )
        schedule_ratio = statistics.median(
            s / b for s, b in zip(times["schedule"], times["bare"], strict=True)
        )
        summary_ratio = statistics.median(
            s / b for s, b in zip(times["summary"], times["bare"], strict=True)
        )
        # The 200-session run sheet: 20 courses x 10 sessions on one day over 2 chairs.
        day = dt.date(2026, 6, 3)
        for c in range(20):
            p = Patient.objects.create(
                site=site,
                mrn=f"R-{c}",
                given_name=f"Run{c}",
                family_name="Sheet",
                date_of_birth=dt.date(1970, 1, 1),
            )
            rc = make_course(patient=p, modality="tms", booked_by=staff["scheduler"])
            for k in range(10):
                make_session(
                    course=rc,
                    start=local(site, str(day), "08:00") + dt.timedelta(minutes=3 * (c * 10 + k)),
                    number=k + 1,
                )

        def run_sheet() -> bytes:
            return RunSheetRenderer(run_sheet_data(site=site, day=day, now=now)).render()

        with CaptureQueriesContext(connection) as rs_queries:
            pages_pdf = run_sheet()
        run_sheet_ms = median_ms(run_sheet, args.repeat)
        from pypdf import PdfReader

        print(f"database: {connection.vendor}; medians of {args.repeat} interleaved rounds")
        print(
            f"course summary (36 sessions, 12 PHQ-9): {summary_ms:7.1f} ms, "
            f"{len(queries)} queries, {len(PdfReader(io.BytesIO(summary())).pages)} pages"
        )
        print(f"bare reportlab table (same 36 rows):     {bare_ms:7.1f} ms")
        print(
            f"our renderer, schedule table only:       {schedule_ms:7.1f} ms, "
            f"ratio {schedule_ratio:.2f}x (target <= 1.5x)"
        )
        print(f"ratio full summary / bare table:         {summary_ratio:7.2f}x")
        print(
            f"run sheet (200 sessions):                {run_sheet_ms:7.1f} ms, "
            f"{len(rs_queries)} queries, {len(PdfReader(io.BytesIO(pages_pdf)).pages)} pages"
        )
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
