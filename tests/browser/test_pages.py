"""The staff pages in a real browser: log in, the day board, checking a patient in, and what
other sites' users and anonymous visitors get."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.models import Resource
from scheduling.models import Session
from tests.browser.conftest import db_read, log_in
from tests.support.clock import local
from tests.support.factories import make_course, make_session

# Live-server tests commit what they create (the server thread must see it), so the tables
# are emptied afterwards; serialized_rollback restores the role groups that migrations created.
# Data fixtures come before `page` in each signature (see conftest.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def todays_session(site, scheduler, patient) -> Session:
    course = make_course(patient=patient, booked_by=scheduler)
    today = timezone.now().astimezone(site.zone).date().isoformat()
    chair = Resource.objects.get(site=site, name="TMS 1")
    return make_session(course=course, start=local(site, today, "10:00"), resources=[chair])


def test_a_nurse_logs_in_and_checks_a_patient_in(nurse, todays_session, page: Page, time_machine):
    # 15 minutes before the session, inside its check-in window; the clock keeps running.
    time_machine.move_to(todays_session.start - dt.timedelta(minutes=15), tick=True)
    log_in(page, nurse.username)

    expect(page.get_by_role("heading", level=1)).to_contain_text("(today)")
    row = page.locator(f"#session-{todays_session.pk}")
    expect(row).to_contain_text("Pat Example")
    expect(row).to_contain_text("MRN-001")
    expect(row).to_contain_text("10:00")
    expect(row.locator(".status")).to_have_text("Scheduled")

    row.get_by_role("button", name=re.compile(r"^Check in")).click()

    expect(page.get_by_role("status")).to_have_text("Pat Example: session 1 checked in.")
    expect(row.locator(".status")).to_have_text("Checked in")
    expect(row.get_by_role("button", name=re.compile(r"^Start"))).to_be_visible()
    status = db_read(lambda: Session.objects.get(pk=todays_session.pk).status)
    assert status == Session.Status.CHECKED_IN


def test_another_sites_user_cannot_open_the_course(outsider, todays_session, page: Page):
    log_in(page, outsider.username)

    response = page.goto(f"/courses/{todays_session.course_id}/")

    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("Pat Example")


def test_anonymous_visitors_are_sent_to_log_in(db, page: Page):
    page.goto("/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_label("Password")).to_be_visible()
