"""Background tasks of scheduling (django-q2). Each per-object task takes an id, loads it and
calls a service; the hourly sweeps find the objects due and enqueue one task each, on commit.
Schedules: scheduling/management/commands/setup_schedules.py. Runbook: docs/deployment.md.

A task whose object is gone or no longer in the right state records a skip (SkippedTask) and
returns: it never raises for that, so the worker carries on and the admin shows why.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from scheduling.feed_expiry import feed_expiry_mark
from scheduling.no_shows import no_show_mark_overdue, no_shows_overdue
from scheduling.reminders import reminder_send, reminders_due
from scheduling.task_skips import task_skip_record
from scheduling.worker_health import worker_heartbeat_record

logger = logging.getLogger("clinic.tasks")


def enqueue(func: str, *args: Any) -> None:
    """Queue `func(*args)` once the current transaction commits (at once outside one): a task
    must never see, or act on, a write that was rolled back."""
    transaction.on_commit(functools.partial(async_task, func, *args))


# --- worker health ------------------------------------------------------------------------


def worker_heartbeat() -> str:
    """Every minute: prove the cluster runs tasks (scheduling/worker_health.py)."""
    return f"heartbeat {worker_heartbeat_record().beat_at:%H:%M:%S}"


# --- reminders ----------------------------------------------------------------------------


def send_day_before_reminders() -> int:
    """Hourly: enqueue a reminder for each session due one. Returns how many."""
    ids = reminders_due()
    for session_id in ids:
        enqueue("scheduling.tasks.send_session_reminder", session_id)
    return len(ids)


def send_session_reminder(session_id: int) -> str:
    """Send one session's reminder (at most one per session, whatever the retries)."""
    row = reminder_send(session_id=session_id)
    if row is None:
        task_skip_record(
            task="send_session_reminder",
            kind="session",
            object_id=session_id,
            reason="session deleted or no longer scheduled",
        )
        return "skipped"
    return row.status


# --- no-shows -----------------------------------------------------------------------------


def mark_overdue_no_shows() -> int:
    """Hourly (acts after each site's local midnight): enqueue the no-show of each session
    still scheduled from an earlier day."""
    ids = no_shows_overdue()
    for session_id in ids:
        enqueue("scheduling.tasks.mark_session_no_show", session_id)
    return len(ids)


def mark_session_no_show(session_id: int) -> str:
    """Mark one overdue session a no-show and offer its re-planning to staff."""
    result = no_show_mark_overdue(session_id=session_id)
    if result is None:
        task_skip_record(
            task="mark_session_no_show",
            kind="session",
            object_id=session_id,
            reason="session deleted, no longer scheduled, or not over yet",
        )
        return "skipped"
    _, offer = result
    return "no_show+offer" if offer is not None else "no_show"


# --- calendar feeds -----------------------------------------------------------------------


def expire_cancelled_feed_entries() -> int:
    """Hourly: mark each live calendar feed that lost a cancelled session past its site's
    retention period as changed, so its Last-Modified moves and a client revalidating with
    If-Modified-Since gets the feed without the event (scheduling/feed_expiry.py). Idempotent;
    returns how many feeds were marked."""
    return feed_expiry_mark()
