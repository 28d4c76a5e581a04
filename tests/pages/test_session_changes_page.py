"""The session page's reschedule picker (a day, then its free starts for every resource the
session needs), cancel with a make-up choice, and restore (issue 18 point 1)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.models import Resource
from scheduling.models import Session
from tests.scheduling.booking_support import ECT_12, NOW, TMS_10, book
from tests.support.clock import local
from tests.support.factories import make_course, make_patient, make_session

S = Session.Status


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _ect(site, scheduler, settings, mrn="P1"):
    settings.CLINIC_NOW = NOW
    course = book(make_patient(site, mrn), scheduler, ECT_12, "ect")
    return Session.objects.get(course=course, number=2)  # Wed 4 Mar 09:00


def test_picker_lists_the_chosen_days_starts_weeks_ahead(site, scheduler, settings):
    s = _ect(site, scheduler, settings)
    last = Session.objects.get(course=s.course, number=12)
    body = _client(scheduler).get(f"/sessions/{last.pk}/?day=2026-03-31").content.decode()
    assert 'name="day"' in body and 'type="date"' in body
    assert "Tue 31 Mar, 08:00" in body and "Tue 31 Mar, 16:00" in body


def test_picker_offers_only_starts_where_every_resource_is_free(site, scheduler, settings):
    s = _ect(site, scheduler, settings)
    # Both recovery bays are taken 10:00-13:00 on Thursday 5 March; the ECT suite is free.
    bays = list(Resource.objects.filter(site=site, kind="recovery_bay"))
    assert len(bays) == 2
    for i, bay in enumerate(bays):
        # One patient per bay: PostgreSQL refuses one patient's overlapping sessions.
        other = make_course(
            patient=make_patient(site, f"P2-{i}", family=f"Bay{i}"),
            modality="ect",
            booked_by=scheduler,
        )
        make_session(
            course=other,
            number=10 + i,
            start=local(site, "2026-03-05", "07:00"),
            minutes=180,
            observation_minutes=180,
            observation_resources=[bay],
        )
    body = _client(scheduler).get(f"/sessions/{s.pk}/?day=2026-03-05").content.decode()
    assert "Thu 5 Mar, 08:30" in body  # recovery 09:00-10:00, before the bays are taken
    assert "Thu 5 Mar, 10:00" not in body  # ECT suite free, no recovery bay
    assert "Thu 5 Mar, 12:30" in body


def test_a_day_outside_the_window_says_so(site, scheduler, settings):
    s = _ect(site, scheduler, settings)
    body = _client(scheduler).get(f"/sessions/{s.pk}/?day=2027-06-01").content.decode()
    assert 'id="picker-message"' in body and "may move no further" in body


def test_the_picker_does_a_constant_number_of_queries(site, scheduler, settings):
    s = _ect(site, scheduler, settings)
    c = _client(scheduler)
    counts = []
    for day in ("2026-03-05", "2026-03-19"):
        with CaptureQueriesContext(connection) as q:
            assert c.get(f"/sessions/{s.pk}/?day={day}").status_code == 200
        counts.append(len(q))
    book(make_patient(site, "P9"), scheduler, ECT_12, "ect")
    with CaptureQueriesContext(connection) as q:
        c.get(f"/sessions/{s.pk}/?day=2026-03-05")
    assert counts[0] == counts[1] == len(q)


def test_cancel_preview_lists_the_session_and_no_make_up_when_chosen(site, scheduler, settings):
    settings.CLINIC_NOW = NOW
    course = book(make_patient(site, "T1"), scheduler, TMS_10, "tms")
    s = Session.objects.get(course=course, number=5)
    c = _client(scheduler)
    url = f"/sessions/{s.pk}/change/cancel/"
    form = c.get(f"/sessions/{s.pk}/").content.decode()
    assert "protocol: a missed session is made up at the end of the course" in form
    assert 'name="make_up"' in form
    page = c.post(url, {"reason": "ill"}).content.decode()
    assert "Session 5: Fri 6 Mar 09:00 &rarr; <strong>cancelled</strong>" in page
    assert "Session 11: added on" in page
    page = c.post(url, {"reason": "ill", "make_up": "no"}).content.decode()
    assert "<strong>cancelled</strong>" in page and "added on" not in page
    assert 'name="make_up" value="no"' in page
    c.post(
        url, {"reason": "ill", "make_up": "no", "confirm": "1", "form_key": "page-cancel-key-0001"}
    )
    assert Session.objects.filter(course=course, active=True).count() == 9


def test_restore_from_the_page_and_nurses_are_refused(site, scheduler, nurse, settings):
    settings.CLINIC_NOW = NOW
    course = book(make_patient(site, "T2"), scheduler, TMS_10, "tms")
    s = Session.objects.get(course=course, number=4)
    c = _client(scheduler)
    c.post(
        f"/sessions/{s.pk}/change/cancel/",
        {"reason": "x", "confirm": "1", "form_key": "page-cancel-key-0002"},
    )
    assert "Restore" in c.get(f"/sessions/{s.pk}/").content.decode()
    url = f"/sessions/{s.pk}/change/restore/"
    assert _client(nurse).post(url, {}).status_code == 403
    page = c.post(url, {}).content.decode()
    assert "scheduled again" in page and "Session 11" in page  # the make-up goes
    assert Session.objects.get(pk=s.pk).status == S.CANCELLED
    c.post(url, {"confirm": "1", "form_key": "page-restore-key-0001"})
    assert Session.objects.get(pk=s.pk).status == S.SCHEDULED
    assert Session.objects.filter(course=course, active=True).count() == 10
    assert dt.date(2026, 3, 5) == s.start.astimezone(site.zone).date()
