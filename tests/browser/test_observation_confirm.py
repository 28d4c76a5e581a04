"""Issue 18 point 3 in a real browser: the nurse's out-of-range confirmation is shown next to
the values, on the same screen, and completed checkpoints fold away with the next due first.

At 09:46 (pre-dose vitals recorded at 09:02, first device 09:05), the nurse opens the form: the
recorded "Before dosing" checkpoint is folded into a one-line summary, "About 40 minutes after
dosing" (due 09:45) is the first checkpoint. She types 186/112 and saves: the page comes back
(422) scrolled to the confirmation, inside that checkpoint's form, with the values kept;
confirming records them and raises the alert.

The pages' clock is settings.CLINIC_NOW; data fixtures come before `page` and the database is
read during the test only through db_read (see conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from charting.form_templates import template_load_library
from charting.models import Alert, ObservationEntry, ObservationRecord
from charting.observations import observation_record_values, observation_set_anchor
from charting.screening import session_screening_submit
from clinic.models import Resource
from scheduling.models import ResourceHold, Session
from scheduling.session_lifecycle import session_check_in, session_start
from tests.browser.conftest import DAY, db_read, log_in
from tests.charting.helpers import safe_answers
from tests.support.clock import local
from tests.support.factories import make_course, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CONFIRM = "I have checked the out-of-range values"


@pytest.fixture
def dosed(db, site, scheduler, nurse, patient, clock) -> Session:
    template_load_library()
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    session = make_session(course=course, start=local(site, DAY, "09:00"))
    chair = Resource.objects.get(site=site, name="Spravato 1")
    for part, start, end in (
        ("procedure", session.start, session.end),
        ("observation", session.end, session.observation_end),
    ):
        ResourceHold.objects.create(
            session=session, resource=chair, part=part, start=start, end=end
        )
    at = lambda hhmm: local(site, DAY, hhmm)  # noqa: E731
    session_check_in(session_id=session.pk, by=nurse, now=at("08:50"))
    session_screening_submit(
        session=session, answers=safe_answers("esketamine-pre-dose"), by=nurse, now=at("08:52")
    )
    session_start(session_id=session.pk, by=nurse, now=at("09:00"))
    record = ObservationRecord.objects.get(session=session)
    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": "134/84", "spo2": 98, "vitals_acceptable": True},
        taken_at=at("09:02"),
        by=nurse,
        now=at("09:02"),
    )
    observation_set_anchor(record=record, at=at("09:05"), by=nurse, now=at("09:06"))
    return session


def _in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_confirmation_is_beside_the_values_and_done_checkpoints_fold(
    dosed, nurse, clock, page: Page
):
    session = dosed
    clock("09:46")
    log_in(page, nurse.username, next_path=f"/sessions/{session.pk}/observation/")

    # The next due checkpoint is first and open; the recorded one is a folded one-liner.
    checkpoints = page.locator("section.checkpoint")
    expect(checkpoints.first).to_have_id("cp-post_40")
    done = page.locator("#cp-pre_dose details")
    expect(done).not_to_have_attribute("open", re.compile(".*"))
    expect(done.locator("summary")).to_contain_text("Before dosing")
    expect(done.locator("summary")).to_contain_text("09:02")
    expect(done.locator("summary")).to_contain_text("134/84")
    expect(page.locator("#id_pre_dose-bp__systolic")).to_be_hidden()
    # The sign-off stays after the checkpoints.
    assert page.locator("section.checkpoint ~ section.sign").count() == 1

    page.locator("#id_post_40-bp__systolic").fill("186")
    page.locator("#id_post_40-bp__diastolic").fill("112")
    page.locator("#id_post_40-spo2").fill("96")
    page.get_by_role("button", name="Save about 40 minutes after dosing").click()

    # The 422: same screen, the confirmation in view, in the form that holds the values.
    checkbox = page.get_by_label(CONFIRM)
    expect(checkbox).to_be_visible()
    form = page.locator("#cp-post_40 form", has=page.locator("#id_post_40-bp__systolic"))
    expect(form.get_by_label(CONFIRM)).to_have_count(1)
    expect(form.locator(".confirm")).to_contain_text("186/112 mmHg")
    expect(form.locator(".confirm")).to_contain_text("above 180")
    expect(page.locator("#id_post_40-bp__systolic")).to_have_value("186")
    assert _in_viewport(page, f"label:has-text('{CONFIRM}')"), "the confirmation is off-screen"
    ids = page.evaluate(
        "() => [...document.querySelectorAll('[id]')].map(e => e.id)"
        ".filter((id, i, all) => all.indexOf(id) !== i)"
    )
    assert ids == []

    checkbox.check()
    page.get_by_role("button", name="Save about 40 minutes after dosing").click()
    expect(page.get_by_role("status")).to_contain_text("clinician alerted")
    # Now both are recorded: folded; the discharge checkpoint is the next due, first.
    expect(checkpoints.first).to_have_id("cp-discharge")
    expect(page.locator("#cp-post_40 summary")).to_contain_text("186/112")

    def check():
        entry = ObservationEntry.objects.get(
            record__session_id=session.pk, checkpoint__key="post_40", field_key="bp"
        )
        return entry.value, Alert.objects.filter(session_id=session.pk).count()

    value, alerts = db_read(check)
    assert value == {"systolic": 186, "diastolic": 112}
    assert alerts == 1
