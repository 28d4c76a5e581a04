"""`manage.py worker_health`: healthy after a recent heartbeat with nothing waiting; exit 1 with
the reason when there is no heartbeat, an old one, or a task queued too long."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.signing import SignedPackage

from scheduling.tasks import worker_heartbeat
from scheduling.worker_health import worker_health

pytestmark = pytest.mark.django_db


def test_no_heartbeat_is_unhealthy():
    with pytest.raises(CommandError) as failed:
        call_command("worker_health")
    assert failed.value.returncode == 1


def test_a_fresh_heartbeat_is_healthy_and_an_old_one_is_not(capsys):
    worker_heartbeat()
    call_command("worker_health")
    assert "healthy" in capsys.readouterr().out
    later = timezone.now() + dt.timedelta(minutes=6)
    assert worker_health(now=later).problems == ["the last heartbeat is older than 5 min"]
    assert worker_health(now=later, max_age_minutes=10).ok


def test_a_task_queued_too_long_is_unhealthy():
    worker_heartbeat()
    queued_at = timezone.now() - dt.timedelta(minutes=20)
    package = {"id": "x", "name": "x", "func": "math.floor", "args": (1,), "kwargs": {}}
    ORM(list_key="clinic").enqueue(SignedPackage.dumps({**package, "started": queued_at}))
    health = worker_health()
    assert health.queued == 1 and health.oldest_queued_at == queued_at
    assert health.problems == ["a task has been queued for more than 5 min"]
