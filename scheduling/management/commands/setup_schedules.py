"""Create or update the django-q2 schedules of the clinic's background work, idempotently
(`make run` calls it; run it on every deploy). Each schedule is found by its name, so running
it again changes nothing, and a schedule edited in the admin is put back to these values.

The jobs run hourly and decide per site, in the site's own zone, whether it is time (see each
task's docstring): one clinic may span time zones, and a DAILY schedule has only one. The worker
heartbeat runs every minute: `manage.py worker_health` fails when it stops (a stalled cluster).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django_q.models import Schedule

from clinic.clock import wall_now

SCHEDULES: tuple[tuple[str, str], ...] = (
    ("day-before reminders", "scheduling.tasks.send_day_before_reminders"),
    ("nightly no-shows", "scheduling.tasks.mark_overdue_no_shows"),
    ("evening run sheets", "charting.tasks.store_evening_run_sheets"),
    ("REMS monitoring forms due", "charting.tasks.send_monitoring_digests"),
    ("calendar feed expiry", "scheduling.tasks.expire_cancelled_feed_entries"),
    ("idempotency key purge", "clinic.tasks.purge_idempotency_keys"),
)
# Every minute rather than hourly (scheduling/worker_health.py).
MINUTE_SCHEDULES: tuple[tuple[str, str], ...] = (
    ("worker heartbeat", "scheduling.tasks.worker_heartbeat"),
)


def schedules_setup(*, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Create or update each schedule; returns (name, "created" | "updated" | "unchanged")."""
    # django-q2's scheduler runs on the real clock.
    now = now or wall_now()
    next_hour = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    next_minute = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    out = []
    every: list[tuple[str, str, dict[str, Any], dt.datetime]] = [
        (name, func, {"schedule_type": Schedule.HOURLY}, next_hour) for name, func in SCHEDULES
    ] + [
        (name, func, {"schedule_type": Schedule.MINUTES, "minutes": 1}, next_minute)
        for name, func in MINUTE_SCHEDULES
    ]
    for name, func, timing, first_run in every:
        wanted: dict[str, Any] = {"func": func, **timing, "repeats": -1}
        row = Schedule.objects.filter(name=name).first()
        if row is None:
            Schedule.objects.create(name=name, next_run=first_run, **wanted)
            out.append((name, "created"))
            continue
        changed = [k for k, v in wanted.items() if getattr(row, k) != v]
        if changed:
            for k in changed:
                setattr(row, k, wanted[k])
            row.save(update_fields=changed)
        out.append((name, "updated" if changed else "unchanged"))
    return out


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of the background work (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, what in schedules_setup():
            self.stdout.write(f"schedule {name!r}: {what}")
