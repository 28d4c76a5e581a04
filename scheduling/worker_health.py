"""Is background work running? The watchdog the project owns (issue 16, point 3).

django-q2 can stall with every process alive: an idle worker blocks in `task_queue.get()`
holding the multiprocessing queue's read lock, and a worker killed there (SIGKILL, the OOM
killer) never releases it. The guard reincarnates the worker, but the new one waits on the lock
for ever, while the scheduler and pusher keep queueing. Process checks see a healthy cluster;
only "did a task run lately" tells. So:

- `worker_heartbeat_record` runs as a task every minute (setup_schedules) and stamps
  `WorkerHeartbeat`;
- `worker_health` reports the last heartbeat's age, the oldest queued task's age (ORM broker:
  the `started` time in each queued package; django-q2 leaves a taken task in the queue until
  it is done), and reminders stuck in "sending" (scheduling/reminders.py);
- `manage.py worker_health --max-age N` exits non-zero when either age passes N minutes, for a
  systemd watchdog or Kubernetes liveness probe to restart the cluster; the background-work page
  shows the same. Runbook: docs/deployment.md, "Background worker health".
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field

from django.conf import settings

from clinic.clock import wall_now  # liveness is real elapsed time
from clinic.display_text import duration_text
from scheduling.models import WorkerHeartbeat
from scheduling.reminders import stuck_reminders

DEFAULT_MAX_AGE_MINUTES = 5.0
# Enough packages to find the oldest on a backed-up queue without reading all of it: the queue
# is read in id order, and ids rise with enqueue time.
QUEUE_SAMPLE = 200


def cluster_name() -> str:
    return str(settings.Q_CLUSTER.get("name", "default"))


def worker_heartbeat_record(*, now: dt.datetime | None = None) -> WorkerHeartbeat:
    """Stamp this cluster's heartbeat (called by the minute task, in a worker)."""
    now = now or wall_now()
    row, _ = WorkerHeartbeat.objects.update_or_create(
        cluster=cluster_name(),
        defaults={"beat_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()},
    )
    return row


@dataclass(frozen=True)
class WorkerHealth:
    now: dt.datetime
    max_age: dt.timedelta
    last_beat: WorkerHeartbeat | None
    oldest_queued_at: dt.datetime | None
    queued: int | None  # None: the broker is not the ORM one, the queue is not read
    stuck_reminders: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        beat = (
            f"last heartbeat {self.last_beat.beat_at:%Y-%m-%d %H:%M:%S}Z "
            f"({_age(self.now - self.last_beat.beat_at)} ago, pid {self.last_beat.pid} on "
            f"{self.last_beat.host})"
            if self.last_beat
            else "no heartbeat recorded"
        )
        if self.queued is None:
            queue = "queue not inspected (not the ORM broker)"
        elif self.oldest_queued_at is None:
            queue = "0 tasks queued"
        else:
            queue = (
                f"{self.queued} task(s) queued, the oldest for "
                f"{_age(self.now - self.oldest_queued_at)}"
            )
        return [beat, queue, f"{self.stuck_reminders} reminder(s) stuck in sending"]


def _age(delta: dt.timedelta) -> str:
    return duration_text(max(0, int(delta.total_seconds())))


def _oldest_queued() -> tuple[int | None, dt.datetime | None]:
    if "orm" not in settings.Q_CLUSTER:
        return None, None
    from django_q.models import OrmQ

    rows = OrmQ.objects.order_by("id")
    count = rows.count()
    started = [r.task.get("started") for r in rows[:QUEUE_SAMPLE] if isinstance(r.task, dict)]
    times = [t for t in started if isinstance(t, dt.datetime)]
    return count, (min(times) if times else None)


def worker_health(
    *, max_age_minutes: float = DEFAULT_MAX_AGE_MINUTES, now: dt.datetime | None = None
) -> WorkerHealth:
    """The cluster is healthy when it ran the heartbeat within `max_age_minutes` and no task
    has waited in the queue longer than that. Stuck reminders are reported (the retry or the
    next sweep takes them up), and make the check fail only once they are older than the
    max age too, since a stalled cluster is what leaves them."""
    now = now or wall_now()
    max_age = dt.timedelta(minutes=max_age_minutes)
    beat = WorkerHeartbeat.objects.filter(cluster=cluster_name()).first()
    queued, oldest = _oldest_queued()
    stuck = stuck_reminders(now=now)
    problems = []
    if beat is None:
        problems.append("no heartbeat recorded: is the cluster running, setup_schedules run?")
    elif now - beat.beat_at > max_age:
        problems.append(f"the last heartbeat is older than {max_age_minutes:g} min")
    if oldest is not None and now - oldest > max_age:
        problems.append(f"a task has been queued for more than {max_age_minutes:g} min")
    if stuck.filter(claimed_at__lt=now - max_age).exists():
        problems.append(f"reminders stuck in sending for more than {max_age_minutes:g} min")
    return WorkerHealth(
        now=now,
        max_age=max_age,
        last_beat=beat,
        oldest_queued_at=oldest,
        queued=queued,
        stuck_reminders=stuck.count(),
        problems=problems,
    )
