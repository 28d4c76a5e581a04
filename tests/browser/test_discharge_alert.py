"""Issue 15 in a real browser: an esketamine session whose 40-minute blood pressure is high
(186/112). The discharge sign-off is refused with the reason on the page (and /nurse/ agrees),
a clinician acknowledges the alert with a note, and then the nurse signs the patient out.

The pages' clock is settings.CLINIC_NOW, moved by the test; data fixtures come before `page`
and the database is read during the test only through db_read (see conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from charting.form_templates import template_load_library
from charting.models import Alert, ObservationRecord
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


@pytest.fixture
def dosed_esketamine(db, site, scheduler, nurse, clinician, patient, clock) -> Session:
    """Checked in 08:50, screened, started 09:00, pre-dose vitals 09:02, first device 09:05."""
    template_load_library()
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    session = make_session(course=course, start=local(site, DAY, "09:00"))
    chair = Resource.objects.get(site=site, name="Spravato 1")
    ResourceHold.objects.create(
        session=session, resource=chair, part="procedure", start=session.start, end=session.end
    )
    ResourceHold.objects.create(
        session=session,
        resource=chair,
        part="observation",
        start=session.end,
        end=session.observation_end,
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


def _fill_bp(page: Page, cp: str, sys_v: str, dia_v: str) -> None:
    page.locator(f"#id_{cp}-bp__systolic").fill(sys_v)
    page.locator(f"#id_{cp}-bp__diastolic").fill(dia_v)


def _yes_no(page: Page, section: str, label: str, answer: str) -> None:
    group = page.locator(section).get_by_role("group", name=re.compile(f"^{re.escape(label)}"))
    group.get_by_label(answer, exact=True).check()


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")


def test_a_high_40_minute_reading_holds_the_discharge_until_a_clinician_acknowledges(
    dosed_esketamine, nurse, clinician, clock, page: Page
):
    session = dosed_esketamine
    clock("09:46")
    log_in(page, nurse.username, next_path=f"/sessions/{session.pk}/observation/")

    # The 40-minute reading: 186/112 is confirmed as out of range and raises one alert.
    _fill_bp(page, "post_40", "186", "112")
    page.locator("#id_post_40-spo2").fill("96")
    page.locator("#id_post_40-sedation").select_option("mild")
    page.locator("#id_post_40-dissociation").select_option("mild")
    _yes_no(page, "#cp-post_40", "Respiratory depression", "No")
    page.get_by_role("button", name="Save about 40 minutes after dosing").click()
    expect(page.locator("#cp-post_40 .confirm")).to_contain_text("186/112 mmHg")
    page.get_by_label("I have checked the out-of-range values").check()
    page.get_by_role("button", name="Save about 40 minutes after dosing").click()
    expect(page.get_by_role("status")).to_contain_text("clinician alerted")
    expect(page.locator("#nav-alerts")).to_contain_text("1")

    # Past the 2-hour minimum with every discharge value: still refused, and the page says why.
    clock("11:10")
    page.reload()
    _fill_bp(page, "discharge", "138", "86")
    page.locator("#id_discharge-spo2").fill("97")
    for item in ("Sedation resolved", "Dissociation resolved", "Vital signs acceptable at"):
        _yes_no(page, "#cp-discharge", item, "Yes")
    _yes_no(page, "#cp-discharge", "Respiratory depression", "No")
    _yes_no(page, "#cp-discharge", "Leaving with a driver", "Yes")
    page.locator("#id_discharge-ready_to_leave_minutes").fill("90")
    page.get_by_role("button", name="Save end of monitoring (discharge)").click()
    expect(page.get_by_role("status")).to_contain_text("values recorded")
    sign = page.get_by_role("button", name="Sign discharge")
    expect(sign).to_be_disabled()
    reason = page.locator("#sign-reason")
    expect(reason).to_contain_text("A severe alert is not acknowledged yet")
    expect(reason).to_contain_text("186/112 mmHg")
    expect(reason).to_contain_text("A clinician acknowledges it with a note")
    page.goto("/nurse/")
    card = page.locator(f"#session-{session.pk}")
    expect(card).to_contain_text("Discharge not yet: A severe alert")
    expect(card).not_to_contain_text("Discharge can be signed")

    # The clinician acknowledges it from the queue, with a note (required for a severe alert).
    _log_out(page)
    log_in(page, clinician.username, next_path="/alerts/")
    alert_id = db_read(lambda: Alert.objects.get(session_id=session.pk, severity="severe").pk)
    panel = page.locator(f"#alert-{alert_id}")
    expect(panel).to_contain_text("Severe")
    expect(panel).to_contain_text("systolic 186 mmHg is above 180")
    note = panel.get_by_label("Assessment or action taken")
    expect(note).to_have_attribute("required", "")
    note.fill("Seen at the chair 11:12: 142/88 on recheck, no symptoms; may leave with driver")
    panel.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    expect(page.locator(f"#alert-{alert_id}")).to_have_count(0)

    # The nurse signs the patient out.
    clock("11:14")
    _log_out(page)
    log_in(page, nurse.username, next_path=f"/sessions/{session.pk}/observation/")
    sign = page.get_by_role("button", name="Sign discharge")
    expect(sign).to_be_enabled()
    sign.click()
    expect(page.get_by_role("status")).to_have_text("Discharge signed.")

    def check():
        record = ObservationRecord.objects.get(session_id=session.pk)
        alert = Alert.objects.get(pk=alert_id)
        return record.status, alert.acknowledged_by_id, alert.note

    status, by, text = db_read(check)
    assert (status, by) == ("signed", clinician.pk)
    assert text.startswith("Seen at the chair")
