"""Course changes in a real browser (issue 18 point 2): a scheduler books with the prescriber
chosen; a clinician changes the prescriber, records the early-improvement review's "add
sessions" (which opens the course page's extend form prefilled), previews and confirms it, then
discontinues the course from a date after a preview. Data fixtures come before `page`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from charting.self_report import self_report_submit
from scheduling.models import Course, Session
from tests.browser.conftest import db_read, log_in
from tests.charting.self_report_support import complete, day_of, phq9, tms_course
from tests.scheduling.booking_support import TMS_10
from tests.support.factories import make_protocol, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def tms(db):
    return make_protocol(TMS_10, "tms")


def test_a_scheduler_books_with_the_prescriber_chosen(
    site, scheduler, clinician, patient, tms, clock, page: Page
):
    log_in(page, scheduler.username)
    page.goto("/book/")
    page.get_by_label("Patient").select_option(label="Pat Example (MRN-001)")
    page.get_by_label("Protocol").select_option(index=1)
    page.get_by_label("Start date").fill("2026-03-10")
    page.get_by_label("Preferred time (site time)").fill("09:00")
    page.get_by_label("Prescriber").select_option(label=clinician.username)
    page.get_by_role("button", name="Preview schedule").click()
    page.get_by_role("button", name=re.compile(r"^Confirm booking")).click()

    expect(page.locator("dl.facts")).to_contain_text(f"Prescriber{clinician.username}")
    assert db_read(lambda: Course.objects.get().prescriber_id) == clinician.pk


@pytest.fixture
def reviewed(site, patient, scheduler, nurse, clinician):
    course = tms_course(patient, scheduler)
    Course.objects.filter(pk=course.pk).update(prescriber=clinician)
    complete(course, 10, by=nurse)
    for number, total in ((1, 20), (10, 18)):
        self_report_submit(
            course=course,
            scale="phq9",
            session_number=number,
            answers=phq9(total),
            now=day_of(course, number),
        )
    make_user("dora", "clinician", site)
    return course


def test_a_clinician_changes_the_prescriber_extends_and_discontinues(
    reviewed, clinician, clock, page: Page
):
    course_id = reviewed.pk
    log_in(page, clinician.username, next_path=f"/courses/{course_id}/")
    page.get_by_label("Prescriber", exact=True).select_option(label="dora")
    page.get_by_label("Reason for the change (optional)").fill("covering leave")
    page.get_by_role("button", name="Change prescriber").click()
    expect(page.locator("#prescriber-history")).to_contain_text("covering leave")

    page.goto(f"/courses/{course_id}/outcomes/")
    page.get_by_label("Add sessions").check()
    page.get_by_label("Note").fill("Little change at session 10; one more week.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_label("Sessions to add")).to_have_value("5")
    expect(page.get_by_label("Phase")).to_have_value("acute")
    page.get_by_role("button", name="Preview new sessions").click()
    expect(page.locator("#extend-preview tbody tr")).to_have_count(5)
    before = db_read(lambda: Session.objects.filter(course_id=course_id).count())
    page.locator("#extend-confirm").click()
    expect(page.get_by_role("status")).to_contain_text("Added 5")
    assert db_read(lambda: Session.objects.filter(course_id=course_id).count()) == before + 5

    page.get_by_label("Reason for discontinuing").fill("patient moving away")
    page.get_by_label(re.compile("^Effective from")).fill("2026-03-16")
    page.get_by_role("button", name="Preview what is cancelled").click()
    expect(page.locator("#discontinue-kept")).to_contain_text("Fri 13 Mar 2026")
    page.locator("#discontinue-confirm").click()
    expect(page.locator("dl.facts")).to_contain_text("Discontinued")
    statuses = db_read(
        lambda: dict(Session.objects.filter(course_id=course_id).values_list("number", "status"))
    )
    assert statuses[5] == "scheduled" and statuses[6] == "cancelled"
