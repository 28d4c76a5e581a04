"""Day-before reminders: sent by email the day before (after the site's reminder hour), with no
clinical words, at most once per session whatever the repeats, skipped and recorded without an
address, and a cancelled or deleted session recorded as a skip. Tasks run synchronously
(Q_CLUSTER sync in the test settings)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from scheduling.models import ReminderDelivery, SkippedTask
from scheduling.reminders import reminder_message
from scheduling.tasks import send_day_before_reminders, send_session_reminder
from tests.support.clock import local
from tests.support.factories import make_course, make_session

CLINICAL_WORDS = (
    "tms",
    "ect",
    "esketamine",
    "spravato",
    "ketamine",
    "treatment",
    "therapy",
    "depress",
    "magnetic",
    "electroconvulsive",
    "psychiatr",
    "dose",
    "session",
    "protocol",
)


@pytest.fixture
def session(site, patient, scheduler):
    patient.email = "pat@example.org"
    patient.save()
    site.name = "Riverside"
    site.address = "200 River Road"
    site.save()
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    return make_session(course=course, start=local(site, "2026-03-10", "09:00"))


def sweep(capture) -> int:
    with capture(execute=True):
        return send_day_before_reminders()


def test_reminder_goes_out_the_day_before_without_clinical_words(
    session, site, django_capture_on_commit_callbacks
):
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        assert sweep(django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.org"]
    assert "Tuesday 10 March at 09:00" in message.body
    # The place as the feeds say it (no patient-facing text set: the address).
    assert "at 200 River Road." in message.body
    text = f"{message.subject}\n{message.body}".lower()
    for word in CLINICAL_WORDS:
        assert word not in text, word
    row = ReminderDelivery.objects.get(session=session)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1


def test_reminders_are_sent_at_most_once_however_often_run(
    session, site, django_capture_on_commit_callbacks
):
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        sweep(django_capture_on_commit_callbacks)
        assert sweep(django_capture_on_commit_callbacks) == 0
        assert send_session_reminder(session.pk) == "sent"
        assert send_session_reminder(session.pk) == "sent"
    assert len(mail.outbox) == 1
    assert ReminderDelivery.objects.count() == 1


def test_no_reminder_before_the_reminder_hour_or_for_later_days(
    session, site, django_capture_on_commit_callbacks
):
    with time_machine.travel(local(site, "2026-03-09", "07:30"), tick=False):
        assert sweep(django_capture_on_commit_callbacks) == 0
    with time_machine.travel(local(site, "2026-03-08", "12:00"), tick=False):
        assert sweep(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_patient_without_address_is_skipped_and_recorded(
    session, site, patient, django_capture_on_commit_callbacks
):
    patient.email = ""
    patient.save()
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        sweep(django_capture_on_commit_callbacks)
        assert sweep(django_capture_on_commit_callbacks) == 0
    row = ReminderDelivery.objects.get(session=session)
    assert row.status == "skipped" and row.reason == "no email address on file"
    assert mail.outbox == []


def test_cancelled_or_deleted_session_records_a_skip(session, site):
    session.status = "cancelled"
    session.save()
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        assert send_session_reminder(session.pk) == "skipped"
        assert send_session_reminder(987654) == "skipped"
    assert mail.outbox == []
    skips = list(SkippedTask.objects.values_list("task", "object_id"))
    assert ("send_session_reminder", session.pk) in skips
    assert ("send_session_reminder", 987654) in skips


def test_a_failed_send_is_retried_and_still_sends_only_once(session, site, monkeypatch):
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    calls = {"n": 0}

    def flaky(self, fail_silently=False):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("SMTP server down")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        with pytest.raises(ConnectionRefusedError):
            send_session_reminder(session.pk)  # django-q2 records the failure and retries
        row = ReminderDelivery.objects.get(session=session)
        assert row.status == "failed" and "SMTP server down" in row.reason
        assert send_session_reminder(session.pk) == "sent"
        assert send_session_reminder(session.pk) == "sent"
    assert len(mail.outbox) == 1
    assert ReminderDelivery.objects.get(session=session).attempts == 2


def test_reminder_text_is_the_same_across_a_dst_change():
    from zoneinfo import ZoneInfo

    start = dt.datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    text = reminder_message(given_name="Pat", place="Riverside", start_local=start)
    assert "Monday 09 March at 09:00, at Riverside." in text.body
