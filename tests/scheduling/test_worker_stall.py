"""One SIGKILL stalls a django-q2 cluster; the project's watchdog notices, a restart cures it.

django-q2's workers share one multiprocessing.Queue. An idle worker blocks in
`task_queue.get()` *holding the queue's read lock* (a POSIX semaphore) while it waits for the
next task. Killed there, it never releases the lock: the guard reincarnates the worker, but the
new one (and every other) waits on that lock for ever. The cluster process is alive, the
scheduler and pusher go on queueing, and nothing runs. With one worker, the idle worker that
just ran the heartbeat is the lock holder, so the test knows which process to kill.

`manage.py worker_health` (the liveness probe) fails once the last heartbeat or the oldest
queued task is older than --max-age minutes, and passes again after the cluster is restarted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django_q.models import OrmQ
from django_q.tasks import async_task

from scheduling.models import WorkerHeartbeat
from tests.worker_support import ROOT, start_process, wait_for, worker_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEARTBEAT = "scheduling.tasks.worker_heartbeat"
# Short timeouts so that a task the dead cluster had taken is offered again within seconds.
CLUSTER_ENV = {"Q_WORKERS": "1", "Q_TIMEOUT": "5", "Q_RETRY": "8"}
MAX_AGE = "0.1"  # minutes: 6 s


def start_cluster(log):
    return start_process([sys.executable, "manage.py", "qcluster"], log=log, **CLUSTER_ENV)


def stop(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def health() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "worker_health", "--max-age", MAX_AGE],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def beat() -> None:
    async_task(HEARTBEAT, sync=False)  # the test settings run tasks inline; this one is queued


def test_killing_the_lock_holding_worker_fails_worker_health_until_restart(tmp_path):
    cluster = start_cluster(tmp_path / "cluster-1.log")
    try:
        beat()
        wait_for(WorkerHeartbeat.objects.exists, seconds=120, what="the first heartbeat")
        wait_for(lambda: not OrmQ.objects.exists(), seconds=30, what="the queue to empty")
        ok = health()
        assert ok.returncode == 0, ok.stdout + ok.stderr
        first = WorkerHeartbeat.objects.get()

        assert first.pid is not None
        os.kill(first.pid, signal.SIGKILL)  # the only worker, idle, holding the read lock
        beat()
        time.sleep(8)  # the guard has reincarnated the worker long before this
        assert WorkerHeartbeat.objects.get().beat_at == first.beat_at, "the cluster ran it"
        assert cluster.poll() is None  # the cluster itself is alive: process checks see no fault
        stalled = health()
        assert stalled.returncode != 0
        assert "heartbeat" in stalled.stdout and "queued" in stalled.stdout, stalled.stdout
    finally:
        stop(cluster)

    cluster = start_cluster(tmp_path / "cluster-2.log")
    try:
        wait_for(
            lambda: WorkerHeartbeat.objects.get().beat_at > first.beat_at,
            seconds=120,
            what="the restarted cluster to run the queued heartbeat",
        )
        wait_for(lambda: not OrmQ.objects.exists(), seconds=30, what="the queue to empty")
        recovered = health()
        assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    finally:
        stop(cluster)
