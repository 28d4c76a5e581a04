"""A worker killed (SIGKILL) in the middle of sending a reminder: the retry sends it.

The claim row says "sending" with the time of the claim. While a claim is younger than the task
timeout its worker may still be sending, so a second run leaves it alone; once it is older, the
worker that made it is dead (django-q2 kills a task at its timeout), and the claim is free to be
taken again, by the task's retry or by the hourly sweep. Rows stuck in "sending" are listed on
the background-work page and counted by `manage.py worker_health`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from scheduling.models import ReminderDelivery
from scheduling.reminders import claim_timeout, reminder_send, reminders_due
from scheduling.tasks import send_session_reminder
from tests.support.clock import local
from tests.support.factories import make_course, make_session
from tests.worker_support import start_python, wait_for

TIMEOUT = claim_timeout()


@pytest.fixture
def session(site, patient, scheduler):
    patient.email = "pat@example.org"
    patient.save()
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    return make_session(course=course, start=local(site, "2026-03-10", "09:00"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_killed_mid_send_the_retry_sends_the_reminder(session, tmp_path):
    marker = tmp_path / "sending"
    worker = start_python(
        "from scheduling.tasks import send_session_reminder\n"
        f"send_session_reminder({session.pk})\n",
        log=tmp_path / "worker.log",
        EMAIL_BACKEND="tests.worker_support.BlockingEmailBackend",
        TEST_SEND_MARKER=str(marker),
    )
    try:
        wait_for(marker.exists, seconds=60, what="the worker to start sending")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    row = ReminderDelivery.objects.get(session=session)
    assert row.status == ReminderDelivery.Status.SENDING
    assert mail.outbox == []

    # Within the task timeout the claim may still be live: nothing is sent twice.
    live = reminder_send(session_id=session.pk, now=timezone.now())
    assert live is not None and live.status == "sending"
    assert mail.outbox == []

    # django-q2's retry comes after Q_CLUSTER["retry"] > timeout seconds: the claim is stale.
    with time_machine.travel(timezone.now() + TIMEOUT + dt.timedelta(seconds=5), tick=False):
        send_session_reminder(session.pk)
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    row.refresh_from_db()
    assert row.status == ReminderDelivery.Status.SENT
    assert row.attempts == 2


def test_the_sweep_takes_up_a_stale_claim_but_not_a_live_one(session, site):
    claimed = local(site, "2026-03-09", "09:30")
    ReminderDelivery.objects.create(
        session=session,
        site=site,
        status=ReminderDelivery.Status.SENDING,
        address="pat@example.org",
        attempts=1,
        created_at=claimed,
        claimed_at=claimed,
    )
    assert reminders_due(now=claimed + dt.timedelta(seconds=30)) == []
    assert reminders_due(now=claimed + TIMEOUT + dt.timedelta(seconds=1)) == [session.pk]
