"""The background-work page: reminders stuck in "sending" (the worker died mid-send) for
schedulers and admins of the site; the worker health (as `manage.py worker_health`) for
admins only; nurses and other sites' staff see nothing of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from scheduling.models import ReminderDelivery, WorkerHeartbeat
from scheduling.worker_health import cluster_name
from tests.support.clock import local
from tests.support.factories import make_course, make_session

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def stuck(site, patient, scheduler):
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    session = make_session(course=course, start=local(site, "2026-03-10", "09:00"))
    claimed = timezone.now() - dt.timedelta(hours=1)
    return ReminderDelivery.objects.create(
        session=session,
        site=site,
        status=ReminderDelivery.Status.SENDING,
        address="pat@example.org",
        attempts=1,
        created_at=claimed,
        claimed_at=claimed,
    )


def test_scheduler_sees_stuck_reminders_but_not_worker_health(scheduler, stuck, patient):
    body = client_for(scheduler).get("/background/").content.decode()
    assert "Reminders stuck in sending" in body
    assert patient.full_name in body
    assert "Worker health" not in body


def test_admin_sees_a_stalled_worker(admin_user, stuck):
    WorkerHeartbeat.objects.create(
        cluster=cluster_name(), beat_at=timezone.now() - dt.timedelta(minutes=30), pid=1
    )
    body = client_for(admin_user).get("/background/").content.decode()
    assert "stalled" in body
    assert "the last heartbeat is older than 5 min" in body
    assert "reminders stuck in sending for more than 5 min" in body


def test_nurses_and_other_sites_see_nothing(nurse, outsider, stuck, patient):
    assert client_for(nurse).get("/background/").status_code == 403
    body = client_for(outsider).get("/background/").content.decode()
    assert patient.full_name not in body
