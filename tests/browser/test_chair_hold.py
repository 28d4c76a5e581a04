"""A late dose extends the monitoring chair's hold, visibly on the resource grid (issue 15,
point 3): the nurse records the first device at 09:45 for a 09:00 booking, and the grid's
observation block on Spravato 1 then runs to 11:45 (the 2-hour minimum), not 11:30.

The pages' clock is settings.CLINIC_NOW (clinic/clock.py); data fixtures come before `page`
(tests/browser/conftest.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from charting.form_templates import template_load_library
from scheduling.models import ResourceHold, Session
from tests.browser.conftest import db_read, log_in
from tests.charting.hold_support import DAY, book_one, start_session
from tests.support.clock import local
from tests.support.factories import make_patient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def started(site, scheduler, nurse, patient, settings) -> tuple[Session, Session]:
    """A 09:00 esketamine session started on Spravato 1, and the next patient's booking on
    Spravato 1 at 11:30."""
    template_load_library()
    session = book_one(site, patient, scheduler, "09:00")
    start_session(session, nurse, local(site, DAY, "09:00"))
    later = book_one(site, make_patient(site, "ESK-NEXT"), scheduler, "11:30")
    settings.CLINIC_NOW = local(site, DAY, "09:45")
    return session, later


def test_a_late_dose_extends_the_chair_hold_on_the_grid(
    started, site, nurse, scheduler, page: Page
):
    session, later = started
    log_in(page, nurse.username, next_path="/nurse/")
    page.goto(f"/grid/?site={site.pk}&date={DAY}")
    block = page.locator(f"[id^='block-{session.pk}-observation-']")
    expect(block).to_contain_text("09:30\u201311:30 observation")

    # The first device went in at 09:45 (the form offers now): the patient stays until 11:45.
    page.goto(f"/sessions/{session.pk}/observation/")
    page.get_by_role("button", name="Save time").click()
    expect(page.locator("section.anchor")).to_contain_text("Recorded: 09:45")

    # The 11:30 booking still holds Spravato 1, so the hold reaches it and that booking is
    # flagged; once it moves to the free chair, the hold runs on to 11:45, on the grid.
    page.goto(f"/grid/?site={site.pk}&date={DAY}")
    expect(page.locator(f"#flag-chair_at_risk-{later.pk}")).to_contain_text("before 11:45")
    expect(page.locator(f"[id^='block-{later.pk}-procedure-']")).to_have_class(
        "block procedure status-scheduled at-risk"
    )
    page.context.clear_cookies()
    log_in(page, scheduler.username, next_path="/grid/")
    page.goto(f"/grid/?site={site.pk}&date={DAY}")
    page.locator(f"#flag-chair_at_risk-{later.pk}").get_by_role(
        "button", name="Move to a free chair at the same time (Spravato 2)"
    ).click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("moved")

    page.goto(f"/grid/?site={site.pk}&date={DAY}")
    expect(block).to_contain_text("09:30\u201311:45 observation")
    expect(page.locator("#session-flags")).to_have_count(0)
    end = db_read(lambda: ResourceHold.objects.get(session_id=session.pk, part="observation").end)
    assert end == local(site, DAY, "11:45")
