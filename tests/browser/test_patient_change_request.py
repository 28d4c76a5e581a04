"""On a 375 px phone the patient asks to change an appointment and sees the confirmation; a
scheduler finds the request on /patients/ and the board and marks it handled. The driver link
made on the phone is shown with its Copy button in view (not at the bottom after a reload)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from scheduling.models import ChangeRequest
from tests.browser.conftest import TIMEOUT_MS, db_read, log_in
from tests.charting.self_report_support import patient_token
from tests.scheduling.feed_support import add_session, esketamine_course

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def link(clock, site, scheduler, patient) -> str:
    site.phone = "+1 555 0100"
    site.save(update_fields=["phone"])
    add_session(esketamine_course(patient, scheduler), site, "2026-03-10", "10:00")
    return patient_token(patient)


def _request() -> tuple[str, str, str]:
    found = ChangeRequest.objects.get()
    return found.status, found.reason, found.preferred_days


def test_patient_asks_to_change_and_scheduler_handles_it(
    link, scheduler, browser: Browser, live_server, page: Page
) -> None:
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    phone.set_default_timeout(TIMEOUT_MS)
    mobile = phone.new_page()
    mobile.goto(f"/p/{link}/")
    expect(mobile.locator("#contact")).to_contain_text("Call us: +1 555 0100")
    mobile.get_by_text("Ask to change this appointment").click()
    mobile.get_by_label("Why (optional):").fill("A work shift")
    mobile.get_by_label("Fri").check()
    mobile.get_by_role("button", name="Ask the clinic").click()
    mobile.wait_for_url("**#session-*")
    expect(mobile.locator(".asked")).to_contain_text("You asked to change this on Monday 9 March")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    assert db_read(_request) == ("open", "A work shift", "Friday")

    # The driver link: the answer opens at the new link, with its Copy button in view.
    mobile.get_by_label("Their name (only you see it):").fill("Sam")
    mobile.get_by_role("button", name="Make a link for them").click()
    copy = mobile.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    # Retried until the fragment scroll has happened (an immediate read can race it).
    expect(copy).to_be_in_viewport(ratio=1)
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    phone.close()

    log_in(page, scheduler.username, next_path="/patients/")
    queue = page.locator("#change-requests")
    expect(queue).to_contain_text("1 open")
    expect(queue).to_contain_text("Prefers: Friday")
    page.goto("/?date=2026-03-10")
    expect(page.locator("#change-requests")).to_contain_text("A work shift")
    page.locator("#change-requests").get_by_label("Note").fill("Moved to Friday by phone")
    page.get_by_role("button", name="Mark handled").click()
    expect(page.locator(".messages")).to_contain_text("Change request marked handled.")
    expect(page.locator("#change-requests")).to_contain_text("No open change requests.")
    assert db_read(_request)[0] == "handled"
