"""Evening run sheets and the daily REMS monitoring-form list: stored / sent once per site and
day, only after the site's local hour, with a skip recorded for a missing site."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail

from charting.models import MonitoringDigest, MonitoringFormItem, RunSheet
from charting.tasks import (
    send_monitoring_digest,
    send_monitoring_digests,
    store_evening_run_sheets,
    store_run_sheet,
)
from scheduling.models import SkippedTask
from tests.charting.documents_support import pdf_text, run_esketamine_session
from tests.support.clock import local
from tests.support.factories import make_session


def test_evening_run_sheet_is_stored_once_for_tomorrow(
    site, tms, django_capture_on_commit_callbacks
):
    course, _ = tms
    make_session(course=course, start=local(site, "2026-03-10", "09:00"))
    with (
        time_machine.travel(local(site, "2026-03-09", "17:00"), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert store_evening_run_sheets() == 0  # before 18:00 local
    with time_machine.travel(local(site, "2026-03-09", "18:05"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert store_evening_run_sheets() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert store_evening_run_sheets() == 0
    sheet = RunSheet.objects.get()
    assert sheet.day == dt.date(2026, 3, 10) and sheet.session_count == 1
    assert "Pat Example" in pdf_text(bytes(sheet.pdf))[0]


def test_run_sheet_for_a_deleted_site_records_a_skip(db):
    assert store_run_sheet(99999, "2026-03-10") == "skipped"
    assert SkippedTask.objects.get().task == "store_run_sheet"


def test_monitoring_forms_due_are_emailed_once_to_the_sites_clinicians(
    api_as, site, nurse, clinician, esk, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://clinic.example.org"
    clinician.email = "carl@example.org"
    clinician.save()
    _, session = esk
    run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"))
    item = MonitoringFormItem.objects.get()
    assert item.due_date == dt.date(2026, 3, 16)
    # 13 March: due in 3 days, not listed yet.
    with time_machine.travel(local(site, "2026-03-13", "09:00"), tick=False):
        assert send_monitoring_digest(site.pk) == "0 form(s), 0 recipient(s)"
        assert api_as(clinician).get("charting/monitoring-forms/due").json() == []
    assert mail.outbox == []
    with (
        time_machine.travel(local(site, "2026-03-14", "07:00"), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_monitoring_digests() == 0  # before 08:00 local
    with time_machine.travel(local(site, "2026-03-14", "08:30"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert send_monitoring_digests() == 1
        with django_capture_on_commit_callbacks(execute=True):
            send_monitoring_digests()
        due = api_as(clinician).get("charting/monitoring-forms/due")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carl@example.org"]
    # Counts and a link, never who (mail is not a private channel: issue 16, point 8).
    digest = mail.outbox[0]
    for said in (digest.subject, digest.body):
        assert "Pat" not in said and "Example" not in said and "MRN" not in said
        assert item.patient.mrn not in said
    assert "1 form due within 2 days" in digest.body and "0 overdue" in digest.body
    assert "https://clinic.example.org/api/v1/charting/monitoring-forms/due" in digest.body
    assert MonitoringDigest.objects.filter(day=dt.date(2026, 3, 14)).count() == 1
    assert due.status_code == 200 and [x["id"] for x in due.json()] == [item.pk]
    with time_machine.travel(local(site, "2026-03-18", "09:00"), tick=False):
        body = send_monitoring_digest(site.pk)
    assert body == "1 form(s), 1 recipient(s)"
    assert "1 overdue" in mail.outbox[-1].body


def test_digest_for_a_deleted_site_records_a_skip(db):
    assert send_monitoring_digest(99999) == "skipped"
    assert SkippedTask.objects.get().task == "send_monitoring_digest"
