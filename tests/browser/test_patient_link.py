"""On a 375 px phone, the patient's link page's own forms work in a real browser: make a
driver's link, see it, stop it, and choose a reminder.

A defect this guards: with `Referrer-Policy: no-referrer` chromium sends `Origin: null` with
the page's POSTs and Django's CSRF check refuses them (403), which Django's test client never
shows (it sends no Origin header).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from scheduling.models import CalendarFeed
from tests.browser.conftest import TIMEOUT_MS, db_read
from tests.charting.self_report_support import patient_token

# The live server needs committed rows; serialized_rollback restores the role groups after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def link(patient) -> str:
    return patient_token(patient)


def _companions() -> list[tuple[str, bool]]:
    return [
        (feed.label, feed.revoked_at is not None)
        for feed in CalendarFeed.objects.filter(kind=CalendarFeed.Kind.COMPANION)
    ]


def _alarm() -> int | None:
    return CalendarFeed.objects.get(kind=CalendarFeed.Kind.PATIENT).alarm_minutes


def test_patient_manages_driver_link_and_reminder_on_a_phone(
    link, browser: Browser, live_server
) -> None:
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    phone.set_default_timeout(TIMEOUT_MS)
    page = phone.new_page()
    page.goto(f"/p/{link}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_label("Their name (only you see it):").fill("Sam")
    page.get_by_role("button", name="Make a link for them").click()
    shown = page.get_by_role("status")
    expect(shown).to_contain_text("New link for Sam")
    expect(shown).to_contain_text("shown only this once")
    expect(shown.locator("code.link")).to_contain_text("/calendar/icf_")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert db_read(_companions) == [("Sam", False)]

    # The page after a reload lists the link without showing it again.
    page.goto(f"/p/{link}/")
    companions = page.locator("#companions + section")
    expect(companions.get_by_role("listitem")).to_contain_text("Sam")
    expect(page.get_by_role("status")).to_have_count(0)

    companions.get_by_role("button", name="Stop this link").click()
    page.wait_for_url("**#companions")
    expect(page.locator("#companions + section").get_by_role("listitem")).to_have_count(0)
    assert db_read(_companions) == [("Sam", True)]

    page.get_by_label("Remind me before I need to arrive:").select_option(label="1 hour before")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**#reminder")
    expect(page.get_by_label("Remind me before I need to arrive:")).to_have_value("60")
    assert db_read(_alarm) == 60
    phone.close()
