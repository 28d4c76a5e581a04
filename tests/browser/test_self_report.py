"""On a 375 px phone: a patient completes a PHQ-9 from their link with item 9 positive and sees
the crisis resources at once; a clinician then sees the urgent alert in the queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from charting.models import Alert, DailyCheckIn
from charting.patient_settings import course_checkin_set
from tests.browser.conftest import TIMEOUT_MS, db_read, log_in
from tests.charting.self_report_support import patient_token, tms_course

# The live server needs committed rows; serialized_rollback restores the role groups after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def phone_course(patient, scheduler, clinician):
    # Booked now, starting next Monday: the baseline questionnaires are open today.
    today = timezone.localdate(timezone=patient.site.zone)
    start = today + dt.timedelta(days=7 - today.weekday())
    return tms_course(patient, scheduler, start=start, now=timezone.now())


@pytest.fixture
def link(patient, phone_course):
    return patient_token(patient)


def test_patient_item9_positive_sees_crisis_resources_and_clinician_sees_alert(
    phone_course, link, clinician, browser: Browser, live_server
):
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    phone.set_default_timeout(TIMEOUT_MS)
    page = phone.new_page()
    page.goto(f"/p/{link}/")
    page.get_by_role("link", name="Questionnaires and check-in").click()
    page.locator("section", has_text="PHQ-9").get_by_role("link", name="Start").click()
    for number in range(1, 10):
        expect(page.get_by_text(f"Question {number} of 9")).to_be_visible()
        page.get_by_label("Several days").check()
        page.get_by_role("button", name="Next").click()
    crisis = page.get_by_role("alert")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("988")
    expect(crisis).to_contain_text("call 911")
    expect(crisis).to_contain_text("Someone from the clinic will call you today")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The alert was raised before the patient saw that screen.
    assert db_read(lambda: Alert.objects.filter(kind="safety").count()) == 1
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("988")
    phone.close()

    desk = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    desk.set_default_timeout(TIMEOUT_MS)
    staff = desk.new_page()
    log_in(staff, "carl", next_path="/alerts/")
    alert = staff.locator("article.alert-safety")
    expect(alert).to_contain_text("Safety item (PHQ-9 item 9)")
    expect(alert).to_contain_text("Pat Example")
    expect(alert).to_contain_text("several days")
    assert db_read(lambda: Alert.objects.filter(kind="safety").count()) == 1
    desk.close()


@pytest.fixture
def checkin_on(phone_course, clinician):
    course_checkin_set(course=phone_course, enabled=True, by=clinician)


def test_a_checkin_with_only_hours_slept_is_not_saved_with_a_mood_nobody_chose(
    phone_course, link, checkin_on, browser: Browser, live_server
):
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    phone.set_default_timeout(TIMEOUT_MS)
    page = phone.new_page()
    page.goto(f"/p/{link}/reports/{phone_course.pk}/checkin/")
    page.get_by_label("Hours slept last night").fill("7")
    page.get_by_role("button", name="Save").click()
    # The browser holds the form back: no mood is chosen for the patient.
    expect(page.get_by_role("status")).to_have_count(0)
    assert db_read(lambda: DailyCheckIn.objects.count()) == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("6", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert db_read(lambda: list(DailyCheckIn.objects.values_list("mood", flat=True))) == [6]
    phone.close()
