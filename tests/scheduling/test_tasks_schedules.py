"""setup_schedules creates the django-q2 schedules once and leaves them alone after; retries
are bounded by the settings; an enqueued task runs on commit (sync in tests)."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django_q.models import Schedule, Success

from scheduling.tasks import enqueue


def test_setup_schedules_is_idempotent(db):
    call_command("setup_schedules")
    first = {s.name: (s.func, s.schedule_type, s.next_run) for s in Schedule.objects.all()}
    assert set(first) == {
        "day-before reminders",
        "nightly no-shows",
        "evening run sheets",
        "REMS monitoring forms due",
        "calendar feed expiry",
        "worker heartbeat",
        "idempotency key purge",
    }
    Schedule.objects.filter(name="nightly no-shows").update(schedule_type=Schedule.DAILY)
    call_command("setup_schedules")
    call_command("setup_schedules")
    again = {s.name: (s.func, s.schedule_type, s.next_run) for s in Schedule.objects.all()}
    assert Schedule.objects.count() == 7
    assert again == first  # the edited type is put back; next runs are kept


def test_retries_are_bounded():
    assert settings.Q_CLUSTER["max_attempts"] == 3
    retry, timeout = settings.Q_CLUSTER["retry"], settings.Q_CLUSTER["timeout"]
    assert isinstance(retry, int) and isinstance(timeout, int)
    assert retry > timeout


def test_enqueued_task_runs_on_commit_and_is_recorded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue("scheduling.tasks.mark_overdue_no_shows")
    assert Success.objects.count() == 0  # nothing ran before the commit
    for callback in callbacks:
        callback()
    assert Success.objects.filter(func="scheduling.tasks.mark_overdue_no_shows").count() == 1
