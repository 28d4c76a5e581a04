"""A scheduler registers a patient from /patients/ in a real browser, is refused a second record
of the same person (a likely duplicate, linked to the existing one), and edits the phone; the
database is read through db_read (tests/browser/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Patient
from tests.browser.conftest import db_read, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _fill(page: Page, *, mrn: str, given: str = "Grace") -> None:
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill("Hopper")
    page.get_by_label("Date of birth").fill("1956-12-09")
    page.get_by_label("MRN").fill(mrn)
    page.get_by_label("Phone", exact=True).fill("555-0100")
    page.get_by_label("Preferred contact").select_option("phone")
    page.get_by_label("Enrolled in the Spravato REMS programme").check()
    page.get_by_label("REMS patient ID").fill("R-77")
    page.get_by_label("Companion's name").fill("Ada Hopper")


def test_a_scheduler_registers_a_patient_is_refused_a_duplicate_and_edits_the_phone(
    site, scheduler, clock, page: Page
):
    log_in(page, "sam", next_path="/patients/")
    page.get_by_role("link", name="Register a patient").click()
    _fill(page, mrn="MRN-900")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_text("Registered Grace Hopper (MRN-900).")).to_be_visible()
    expect(page.get_by_text("patient ID R-77")).to_be_visible()
    first = db_read(lambda: Patient.objects.get())
    assert page.url.endswith(f"/patients/{first.pk}/")
    assert (first.date_of_birth, first.preferred_contact) == (dt.date(1956, 12, 9), "phone")

    page.goto("/patients/new/")
    _fill(page, mrn="MRN-901", given="grace")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#form-errors")).to_contain_text("MRN-900")
    expect(page.get_by_role("link", name="Open the existing record (MRN MRN-900)")).to_be_visible()
    assert db_read(lambda: Patient.objects.count()) == 1

    page.get_by_role("link", name="Open the existing record (MRN MRN-900)").click()
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Phone", exact=True).fill("555-0199")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Saved the details of Grace Hopper.")).to_be_visible()
    expect(page.get_by_text("555-0199")).to_be_visible()
    assert db_read(lambda: Patient.objects.get().phone) == "555-0199"
