"""The work itself in a real browser: a scheduler books and cancels, a nurse screens, charts
and signs out an esketamine patient (with the clock moved by the test), a clinician clears a
hard stop and a safety alert, and every page fits a 375 px phone without sideways scrolling.

The pages' clock is settings.CLINIC_NOW (clinic/clock.py), pinned here; the live server runs in
this process, so moving the setting moves the server's "now". Data fixtures come before `page`
(see conftest.py); the database is read during a test only through db_read.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from charting.form_templates import template_load_library
from charting.models import Alert, Amendment, ObservationRecord, ScreeningResponse
from charting.outcomes import scale_record
from charting.screening import course_screening_submit
from clinic.models import Resource
from scheduling.models import Course, ResourceHold, Session
from scheduling.session_lifecycle import session_check_in
from tests.browser.conftest import DAY, db_read, log_in
from tests.charting.helpers import safe_answers
from tests.support.clock import local
from tests.support.factories import (
    builtin_protocol,
    make_course,
    make_patient,
    make_session,
    make_user,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def library(db):
    template_load_library()


def _hold(session: Session, name: str) -> None:
    chair = Resource.objects.get(site=session.site, name=name)
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


@pytest.fixture
def checked_in_esketamine(library, site, scheduler, nurse, patient, clock) -> Session:
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    session = make_session(course=course, start=local(site, DAY, "09:00"))
    _hold(session, "Spravato 1")
    session_check_in(session_id=session.pk, by=nurse, now=local(site, DAY, "08:50"))
    return session


@pytest.fixture
def rems_site(library, site, patient):
    site.rems_certified = True
    site.save()
    builtin_protocol("esketamine")
    return site


def test_a_scheduler_books_esketamine_and_sees_it_on_the_board(
    rems_site, scheduler, clinician, patient, clock, page: Page
):
    log_in(page, scheduler.username)

    page.get_by_role("link", name="Book a course").click()
    page.get_by_label("Patient").select_option(label="Pat Example (MRN-001)")
    page.get_by_label("Protocol").select_option(
        label="Esketamine nasal spray (Spravato) for TRD (v1)"
    )
    page.get_by_label("Start date").fill("2026-03-10")
    page.get_by_label("Preferred time (site time)").fill("09:00")
    page.get_by_label("Prescriber").select_option(label=clinician.username)
    page.get_by_role("button", name="Preview schedule").click()

    plan = page.locator("#plan")
    expect(plan).to_contain_text("Tue 10 Mar 2026")
    expect(plan).to_contain_text("09:00")
    assert db_read(lambda: Course.objects.count()) == 0  # a preview books nothing
    page.get_by_role("button", name=re.compile(r"^Confirm booking")).click()

    expect(page.get_by_role("status")).to_contain_text("Booked")
    page.goto("/?date=2026-03-10")
    row = page.locator("tr", has_text="Pat Example")
    expect(row).to_contain_text("09:00")
    expect(row.locator(".status")).to_have_text("Scheduled")
    assert db_read(lambda: Course.objects.count()) == 1


def _fill_bp(page: Page, cp: str, sys_v: str, dia_v: str) -> None:
    page.locator(f"#id_{cp}-bp__systolic").fill(sys_v)
    page.locator(f"#id_{cp}-bp__diastolic").fill(dia_v)


def _yes_no(page: Page, section: str, label: str, answer: str) -> None:
    group = page.locator(section).get_by_role("group", name=re.compile(f"^{re.escape(label)}"))
    group.get_by_label(answer, exact=True).check()


def test_a_nurse_screens_charts_signs_out_and_amends(
    checked_in_esketamine, nurse, clock, page: Page
):
    session = checked_in_esketamine
    clock("08:55")
    log_in(page, nurse.username, next_path="/nurse/")
    card = page.locator(f"#session-{session.pk}")
    expect(card).to_contain_text("Session screen due")

    # The pre-dose checklist: a "no" to the ride home is explained as a hard stop on the spot.
    card.get_by_role("link", name="Session screen due").click()
    for field, answer in safe_answers("esketamine-pre-dose").items():
        label = page.locator(f"input[name={field}][value={'yes' if answer else 'no'}]")
        label.check()
    page.locator("input[name=ride_home][value=no]").check()
    expect(page.locator(".field", has=page.locator("input[name=ride_home]"))).to_contain_text(
        "Hard stop"
    )
    page.locator("input[name=ride_home][value=yes]").check()
    page.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_role("status")).to_contain_text("nothing flagged")

    page.goto("/")
    page.locator(f"#session-{session.pk}").get_by_role("button", name=re.compile("^Start")).click()
    expect(page.locator(f"#session-{session.pk} .status")).to_have_text("In progress")

    # Dose time and the pre-dose values: 150/95 is highlighted as typed, confirmed on save
    # (above the alert line, below the severe one: it does not hold the discharge).
    clock("09:05")
    page.goto(f"/sessions/{session.pk}/observation/")
    page.get_by_role("button", name="Save time").click()
    expect(page.get_by_role("status")).to_contain_text("Dose/procedure time recorded: 09:05")
    _fill_bp(page, "pre_dose", "150", "95")
    systolic = page.locator("#id_pre_dose-bp__systolic")
    expect(systolic).to_have_class(re.compile("out-of-range"))
    page.locator("#id_pre_dose-spo2").fill("97")
    _yes_no(page, "#cp-pre_dose", "Vital signs acceptable", "Yes")
    page.get_by_role("button", name="Save before dosing").click()
    expect(page.locator("#cp-pre_dose .confirm")).to_contain_text("above 140")
    page.get_by_label("I have checked the out-of-range values").check()
    page.get_by_role("button", name="Save before dosing").click()
    expect(page.get_by_role("status")).to_contain_text("clinician alerted")
    expect(page.locator("#value-pre_dose-bp")).to_have_class(re.compile("out-of-range"))

    clock("09:46")
    page.reload()
    _fill_bp(page, "post_40", "150", "85")
    page.locator("#id_post_40-spo2").fill("96")
    page.locator("#id_post_40-sedation").select_option("mild")
    page.locator("#id_post_40-dissociation").select_option("mild")
    _yes_no(page, "#cp-post_40", "Respiratory depression", "No")
    page.get_by_role("button", name="Save about 40 minutes after dosing").click()
    expect(page.get_by_role("status")).to_contain_text("values recorded")

    # Before 2 hours: sign-off disabled, with the service's reason.
    sign = page.get_by_role("button", name="Sign discharge")
    expect(sign).to_be_disabled()
    expect(page.locator("#sign-reason")).to_contain_text("cannot be signed before")
    expect(page.locator("#sign-reason")).to_contain_text("11:05")

    clock("11:10")
    page.reload()
    _fill_bp(page, "discharge", "128", "80")
    page.locator("#id_discharge-spo2").fill("97")
    for item in ("Sedation resolved", "Dissociation resolved", "Vital signs acceptable at"):
        _yes_no(page, "#cp-discharge", item, "Yes")
    _yes_no(page, "#cp-discharge", "Respiratory depression", "No")
    _yes_no(page, "#cp-discharge", "Leaving with a driver", "Yes")
    page.locator("#id_discharge-ready_to_leave_minutes").fill("90")
    page.get_by_role("button", name="Save end of monitoring (discharge)").click()
    expect(page.get_by_role("status")).to_contain_text("values recorded")
    expect(sign).to_be_enabled()
    sign.click()
    expect(page.get_by_role("status")).to_have_text("Discharge signed.")

    # Amend a signed value: the original stays beside the correction.
    row = page.locator("#value-discharge-spo2")
    page.locator("#cp-discharge details.folded > summary").click()  # recorded: folded (issue 18)
    page.locator("#cp-discharge").get_by_text("Amend spo2").click()
    page.locator("#id_amend-discharge-spo2-spo2").fill("98")
    page.locator("#id_amend-discharge-spo2-reason").fill("Misread the oximeter")
    page.locator("#id_amend-discharge-spo2-reason").press("Enter")
    page.get_by_role("button", name="Save amendment").first.click()
    expect(page.get_by_role("status")).to_contain_text("amended")
    expect(row.locator(".value")).to_have_text("98 %")
    expect(row.locator("del.original")).to_have_text("97 %")
    expect(row).to_contain_text("Misread the oximeter")

    def check():
        record = ObservationRecord.objects.get(session=session)
        return record.status, Amendment.objects.filter(record=record).count()

    assert db_read(check) == ("signed", 1)


@pytest.fixture
def hard_stop_and_safety_alert(library, site, scheduler, nurse, clinician, clock):
    patient = make_patient(site, given="Tess", family="Coil", mrn="MRN-TMS")
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    now = local(site, DAY, "08:00")
    screening = course_screening_submit(
        course=course,
        answers={**safe_answers("tms-safety-screen"), "cochlear_implant": True},
        by=nurse,
        now=now,
    )
    items = {f"item{i}": 1 for i in range(1, 10)}
    scale = scale_record(
        course=course, scale="phq9", items=items, administered_at=now, by=nurse, now=now
    )
    alert = Alert.objects.get(scale=scale)
    return screening, alert


def test_a_clinician_overrides_a_hard_stop_and_acknowledges_a_safety_alert(
    hard_stop_and_safety_alert, clinician, page: Page
):
    screening, alert = hard_stop_and_safety_alert
    log_in(page, clinician.username, next_path="/alerts/")

    panel = page.locator(f"#screening-{screening.pk}")
    expect(panel).to_contain_text("Hard stop: Cochlear implant: yes")
    panel.get_by_label("Reason for overriding the hard stop").fill(
        "Implant removed in 2024; ENT letter on file"
    )
    panel.get_by_role("button", name="Override hard stop").click()
    expect(page.get_by_role("status")).to_contain_text("Hard stop overridden")
    expect(page.locator(f"#screening-{screening.pk}")).to_have_count(0)

    card = page.locator(f"#alert-{alert.pk}")
    expect(card).to_contain_text("PHQ-9 item 9")
    card.get_by_label("Safety assessment or action taken").fill(
        "Called the patient: no plan or intent; safety plan reviewed"
    )
    card.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    expect(page.locator(f"#alert-{alert.pk}")).to_have_count(0)

    def check():
        s = ScreeningResponse.objects.get(pk=screening.pk)
        a = Alert.objects.get(pk=alert.pk)
        return s.status, a.acknowledged_by_id, a.note

    status, by, note = db_read(check)
    assert status == "overridden" and by == clinician.pk and note.startswith("Called")


@pytest.fixture
def booked_esketamine(library, site, scheduler, patient, clock) -> Session:
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    session = make_session(course=course, start=local(site, DAY, "10:00"))
    _hold(session, "Spravato 2")
    return session


def test_a_scheduler_cancels_a_session_and_it_shows_cancelled(
    booked_esketamine, scheduler, page: Page
):
    session = booked_esketamine
    log_in(page, scheduler.username)
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_label("Reason for cancelling").fill("Patient unwell")
    page.locator("#cancel-h + form").get_by_role("button", name="Show what happens").click()
    # The preview names the cancelled session itself (issue 18), and nothing else moves.
    expect(page.locator("#moves")).to_have_text(re.compile(r"^\s*Session \d+: .* → cancelled\s*$"))
    assert db_read(lambda: Session.objects.get(pk=session.pk).status) == "scheduled"
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("cancelled")
    expect(page.locator("#session-status")).to_have_text("Cancelled")

    page.goto(f"/?date={DAY}")
    expect(page.locator(f"#session-{session.pk} .status")).to_have_text("Cancelled")
    page.goto(f"/patients/{session.patient_id}/")
    expect(page.locator(f"#session-{session.pk} .status")).to_have_text("Cancelled")
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("Patient unwell")


@pytest.fixture
def every_page(checked_in_esketamine, hard_stop_and_safety_alert, site, clock) -> list[str]:
    admin = make_user("ada", "admin", site)
    admin.is_superuser = True
    admin.save()
    s = checked_in_esketamine
    return [
        "/",
        f"/?date={DAY}",
        f"/grid/?date={DAY}",
        "/nurse/",
        "/patients/",
        f"/patients/{s.patient_id}/",
        f"/sessions/{s.pk}/",
        f"/sessions/{s.pk}/screening/",
        f"/sessions/{s.pk}/observation/",
        f"/sessions/{s.pk}/parameters/",
        f"/courses/{s.course_id}/",
        f"/courses/{s.course_id}/outcomes/",
        f"/courses/{hard_stop_and_safety_alert[0].course_id}/outcomes/",
        "/book/",
        "/alerts/",
        "/site/",
    ]


def test_every_page_fits_a_375_px_phone(every_page, browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        log_in(page, "ada")
        for url in every_page:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{url} scrolls sideways ({width} px)"
    finally:
        context.close()
