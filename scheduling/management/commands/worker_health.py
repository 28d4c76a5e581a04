"""`python manage.py worker_health [--max-age MINUTES]`: the background workers' liveness probe.

Exits 0 when the django-q2 cluster ran its heartbeat within the last MINUTES (default 5) and
no task has waited longer than that; otherwise prints why and exits 1, so that systemd or a
Kubernetes liveness probe restarts the cluster (docs/deployment.md, "Background worker health").
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scheduling.worker_health import DEFAULT_MAX_AGE_MINUTES, worker_health


class Command(BaseCommand):
    help = "Exit non-zero when background work has stalled (heartbeat or queue too old)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=float,
            default=DEFAULT_MAX_AGE_MINUTES,
            help="minutes a heartbeat or a queued task may be old (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["max_age"] <= 0:
            raise CommandError("--max-age must be a positive number of minutes")
        health = worker_health(max_age_minutes=options["max_age"])
        for line in health.lines():
            self.stdout.write(line)
        if not health.ok:
            for problem in health.problems:
                self.stdout.write(f"UNHEALTHY: {problem}")
            raise CommandError("background work has stalled; restart the cluster", returncode=1)
        self.stdout.write("healthy")
