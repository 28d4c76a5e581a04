"""Discontinuing a course: the rest of its sessions are cancelled (marked, not deleted) and free
their resources; who may do it; and what happens to bad requests."""

from __future__ import annotations

import pytest
import time_machine

from scheduling.courses import course_discontinue
from scheduling.enrolment import course_enrol
from scheduling.models import Course, ResourceHold, Session
from scheduling.session_lifecycle import session_check_in
from tests.scheduling.booking_support import MONDAY, NINE, NOW, TMS_10, local, protocol


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(MONDAY, 8, 50), tick=False):
        yield


def book(patient, user):
    protocol(TMS_10, "tms")
    return course_enrol(
        patient=patient.pk,
        protocol="tms",
        site=patient.site_id,
        start_date=MONDAY,
        preferred_time=NINE,
        by=user,
        now=NOW,
    ).course


def test_discontinue_cancels_the_remaining_sessions_and_frees_their_resources(
    site, scheduler, nurse, patient, api_as
):
    course = book(patient, scheduler)
    first = Session.objects.get(course=course, number=1)
    session_check_in(session_id=first.pk, by=nurse)

    response = api_as(scheduler).post(
        f"courses/{course.pk}/discontinue", {"reason": "patient moved away"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "discontinued"
    assert body["status_reason"] == "patient moved away"
    assert sorted(s["number"] for s in body["cancelled"]) == list(range(2, 11))
    course.refresh_from_db()
    assert course.status == Course.Status.DISCONTINUED
    # Nothing deleted: all ten sessions remain; the checked-in one is left for the nurse.
    statuses = dict(Session.objects.filter(course=course).values_list("number", "status"))
    assert len(statuses) == 10
    assert statuses[1] == Session.Status.CHECKED_IN
    assert {statuses[n] for n in range(2, 11)} == {Session.Status.CANCELLED}
    cancelled = Session.objects.filter(course=course, number__gte=2)
    assert all(s.sequence == 1 and not s.active for s in cancelled)
    assert all("patient moved away" in s.status_reason for s in cancelled)
    assert not ResourceHold.objects.filter(session__in=cancelled, active=True).exists()
    assert ResourceHold.objects.filter(session=first, active=True).exists()
    # History is kept for the bulk change, with who did it.
    history = Session.history.filter(id=cancelled[0].pk).order_by("-history_id").first()
    assert history.status == Session.Status.CANCELLED
    assert history.history_user == scheduler


def test_a_discontinued_course_no_longer_blocks_a_new_course_of_the_same_modality(
    site, scheduler, patient
):
    course = book(patient, scheduler)
    course_discontinue(course_id=course.pk, reason="switching protocol", by=scheduler)

    again = book(patient, scheduler)

    assert again.pk != course.pk
    assert Session.objects.filter(course=again, active=True).count() == 10


def test_nurse_may_not_discontinue_and_nothing_changes(site, scheduler, nurse, patient, api_as):
    course = book(patient, scheduler)

    response = api_as(nurse).post(f"courses/{course.pk}/discontinue", {"reason": "x"})

    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"
    assert Session.objects.filter(course=course, status=Session.Status.SCHEDULED).count() == 10


def test_another_sites_user_gets_404(site, scheduler, outsider, patient, api_as):
    course = book(patient, scheduler)

    response = api_as(outsider).post(f"courses/{course.pk}/discontinue", {"reason": "x"})

    assert response.status_code == 404
    assert response.json()["code"] == "course_not_found"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(site, scheduler, patient, api_as, reason):
    course = book(patient, scheduler)

    response = api_as(scheduler).post(f"courses/{course.pk}/discontinue", {"reason": reason})

    assert response.status_code == 422
    assert response.json()["code"] == "reason_required"
    course.refresh_from_db()
    assert course.status == Course.Status.PLANNED


def test_discontinuing_twice_is_a_conflict(site, scheduler, patient, api_as):
    course = book(patient, scheduler)
    client = api_as(scheduler)
    assert client.post(f"courses/{course.pk}/discontinue", {"reason": "a"}).status_code == 200

    response = client.post(f"courses/{course.pk}/discontinue", {"reason": "b"})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    course.refresh_from_db()
    assert course.status_reason == "a"
