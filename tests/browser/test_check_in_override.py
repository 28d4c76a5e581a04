"""Check-in override from the pages (issue 18 point 2): at 16:00, long after two morning
sessions ended, a clinician checks one patient in from the day board and the other from the
session page, each with a reason that the session's history records."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from charting.form_templates import template_load_library
from scheduling.models import Session
from tests.browser.conftest import DAY, db_read, log_in
from tests.support.clock import local
from tests.support.factories import make_course, make_patient, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def late_sessions(site, scheduler, settings) -> tuple[Session, Session]:
    template_load_library()
    sessions = []
    for mrn, hhmm in (("LATE-1", "08:00"), ("LATE-2", "09:00")):
        course = make_course(
            patient=make_patient(site, given="Late", family=mrn, mrn=mrn),
            modality="esketamine",
            booked_by=scheduler,
        )
        sessions.append(make_session(course=course, start=local(site, DAY, hhmm)))
    settings.CLINIC_NOW = local(site, DAY, "16:00")
    return sessions[0], sessions[1]


def _history_reason(pk: int) -> tuple[str, str]:
    session = Session.objects.get(pk=pk)
    latest = session.history.order_by("-history_id").first()
    return session.status, latest.history_change_reason


def test_a_clinician_overrides_late_check_ins_from_the_board_and_the_session_page(
    late_sessions, site, clinician, page: Page
):
    first, second = late_sessions
    log_in(page, clinician.username)
    page.goto(f"/?site={site.pk}&date={DAY}")
    panel = page.locator(f"#check-in-override-{first.pk}")
    expect(panel).to_contain_text("Check-in is open")
    panel.get_by_label("Override reason").fill("Bus broke down")
    panel.get_by_role("button", name="Check in with override").click()
    expect(page.locator(".message").first).to_contain_text("checked in (override: Bus broke down)")
    expect(page.locator(f"#session-{first.pk} .status")).to_have_text("Checked in")

    page.goto(f"/sessions/{second.pk}/")
    page.get_by_label("Override reason").fill("Came after the clinic's run")
    page.get_by_role("button", name="Check in with override").click()
    expect(page.locator("#session-status")).to_have_text("Checked in")
    expect(page.get_by_label("Override reason")).to_have_count(0)

    assert db_read(lambda: _history_reason(first.pk)) == (
        "checked_in",
        "check-in override: Bus broke down",
    )
    assert db_read(lambda: _history_reason(second.pk)) == (
        "checked_in",
        "check-in override: Came after the clinic's run",
    )
    page.context.clear_cookies()
