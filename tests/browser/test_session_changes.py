"""The session page's changes in a real browser (issue 18 point 1): cancel without a make-up,
restore it, and reschedule to a day next week through the date field. Data fixtures come
before `page` (tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from scheduling.models import Session
from tests.browser.conftest import db_read, log_in
from tests.scheduling.booking_support import NOW, TMS_10, book
from tests.support.factories import make_patient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def booked(site, scheduler, settings) -> Session:
    settings.CLINIC_NOW = NOW
    course = book(make_patient(site, "BR1"), scheduler, TMS_10, "tms")
    return Session.objects.select_related("site").get(course=course, number=10)  # Fri 13 Mar 09:00


def test_cancel_without_make_up_restore_and_reschedule_next_week(booked, page: Page):
    s = booked
    log_in(page, "sam", next_path=f"/sessions/{s.pk}/")
    page.get_by_label("Reason for cancelling").fill("patient ill")
    page.get_by_label("No make-up").check()
    page.get_by_role("button", name="Show what happens").first.click()
    expect(page.locator("#moves")).to_contain_text("cancelled")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#session-status")).to_have_text("Cancelled")
    assert db_read(lambda: Session.objects.filter(course_id=s.course_id, active=True).count()) == 9
    page.get_by_role("button", name="Show what happens").click()
    expect(page.locator("#moves")).to_contain_text("scheduled again")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#session-status")).to_have_text("Scheduled")
    page.get_by_label("Day (from").fill("2026-03-17")
    page.get_by_role("button", name="Show free starts").click()
    page.get_by_label("Free starts on").select_option(label="Tue 17 Mar, 10:00")
    page.get_by_role("button", name="Show what moves").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".message").first).to_contain_text("moved to Tue 17 Mar 10:00")
    zone = s.site.zone
    status, start = db_read(lambda: Session.objects.values_list("status", "start").get(pk=s.pk))
    assert status == Session.Status.SCHEDULED
    assert start.astimezone(zone).strftime("%d %H:%M") == "17 10:00"
