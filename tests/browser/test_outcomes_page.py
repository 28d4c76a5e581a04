"""The outcomes page in a real browser (issue 15 point 6): a nurse enters a PHQ-9 with item 9
above 0 and the safety prompt is on the page at once, with the urgent alert raised."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from charting.models import Alert
from charting.scoring import PHQ9
from tests.browser.conftest import db_read, log_in
from tests.support.clock import local
from tests.support.factories import make_course, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def course(site, patient, scheduler, settings):
    settings.CLINIC_NOW = local(site, "2026-03-09", "10:00")
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    make_session(course=course, start=local(site, "2026-03-09", "09:00"))
    return course


def test_a_nurse_entering_item9_sees_the_safety_prompt_at_once(course, nurse, page: Page):
    log_in(page, "nina", next_path=f"/courses/{course.pk}/outcomes/")
    for item in PHQ9.items[:8]:
        page.get_by_label(item.text).select_option(label="1: Several days")
    page.get_by_label(PHQ9.items[8].text).select_option(label="3: Nearly every day")
    page.get_by_role("button", name="Save PHQ9").click()
    prompt = page.locator("section.safety-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_have_attribute("role", "alert")
    expect(prompt).to_contain_text("Same-day safety assessment needed")
    expect(prompt).to_contain_text("nearly every day")
    expect(prompt).to_contain_text("988")
    assert db_read(lambda: Alert.objects.filter(kind="safety", course=course).count()) == 1
