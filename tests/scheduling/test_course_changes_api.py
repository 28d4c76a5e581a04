"""The course-change endpoints (issue 18): extend, prescriber, and discontinue with an
effective date and a dry run."""

from __future__ import annotations

import pytest
import time_machine

from scheduling.models import Course, Session
from tests.scheduling.booking_support import MONDAY, NY, book
from tests.support.clock import local
from tests.support.factories import make_user


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(NY, MONDAY, "08:50"), tick=False):
        yield


def test_extend_dry_run_then_for_real(site, clinician, patient, api_as):
    course = book(patient, clinician)
    api = api_as(clinician)

    preview = api.post(
        f"courses/{course.pk}/extend", {"phase": "acute", "count": 2, "dry_run": True}
    )

    assert preview.status_code == 200, preview.content
    assert [s["number"] for s in preview.json()["added"]] == [11, 12]
    assert Session.objects.filter(course=course).count() == 10
    done = api.post(f"courses/{course.pk}/extend", {"phase": "acute", "count": 2})
    assert done.status_code == 200
    assert [s["start"] for s in done.json()["added"]] == [
        s["start"] for s in preview.json()["added"]
    ]
    assert Session.objects.filter(course=course).count() == 12


def test_extend_refusals_have_stable_codes(site, clinician, nurse, patient, api_as):
    course = book(patient, clinician)
    bad_phase = api_as(clinician).post(f"courses/{course.pk}/extend", {"phase": "x", "count": 1})
    assert (bad_phase.status_code, bad_phase.json()["code"]) == (422, "phase_not_in_protocol")
    bad_count = api_as(clinician).post(
        f"courses/{course.pk}/extend", {"phase": "acute", "count": 99}
    )
    assert (bad_count.status_code, bad_count.json()["code"]) == (422, "extend_count_out_of_range")
    nurse_try = api_as(nurse).post(f"courses/{course.pk}/extend", {"phase": "acute", "count": 1})
    assert nurse_try.status_code == 403


def test_set_prescriber_returns_the_history(site, scheduler, clinician, patient, api_as):
    dora = make_user("dora", "clinician", site)
    course = book(patient, scheduler, prescriber_id=clinician.pk)

    response = api_as(scheduler).post(
        f"courses/{course.pk}/prescriber", {"prescriber_id": dora.pk, "reason": "leave"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["prescriber_id"] == dora.pk
    assert [(h["old"], h["new"], h["reason"]) for h in body["history"]] == [
        ("carl", "dora", "leave")
    ]


def test_discontinue_with_an_effective_date_and_dry_run(site, clinician, patient, api_as):
    course = book(patient, clinician)
    api = api_as(clinician)
    body = {"reason": "no response", "effective_date": "2026-03-12", "dry_run": True}

    preview = api.post(f"courses/{course.pk}/discontinue", body)

    assert preview.status_code == 200, preview.content
    assert [s["number"] for s in preview.json()["cancelled"]] == [9, 10]
    assert Course.objects.get().status == Course.Status.PLANNED
    bad = api.post(
        f"courses/{course.pk}/discontinue", {"reason": "x", "effective_date": "2026-01-01"}
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "effective_date_out_of_range")
    done = api.post(f"courses/{course.pk}/discontinue", {**body, "dry_run": False})
    assert [s["number"] for s in done.json()["cancelled"]] == [9, 10]
    assert Course.objects.get().status == Course.Status.DISCONTINUED
