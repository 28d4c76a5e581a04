"""The nightly no-show job: sessions still scheduled from an earlier day are marked no-show
through the session service, WITHOUT the automatic TMS make-up; the make-up is offered to
staff (list / accept / dismiss through the API). Idempotent; skips recorded."""

from __future__ import annotations

import time_machine

from scheduling.models import ReplanOffer, Session, SkippedTask
from scheduling.tasks import mark_overdue_no_shows, mark_session_no_show
from tests.support.clock import local
from tests.support.factories import make_course, make_session


def _tms(site, patient, scheduler, days: int = 3):
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    return course, [
        make_session(course=course, start=local(site, f"2026-03-{9 + d:02d}", "09:00"))
        for d in range(days)
    ]


def run_night(site, capture, when=("2026-03-11", "01:00")) -> int:
    with time_machine.travel(local(site, *when), tick=False), capture(execute=True):
        return mark_overdue_no_shows()


def test_yesterdays_scheduled_sessions_become_no_shows_with_an_offer(
    site, patient, scheduler, django_capture_on_commit_callbacks
):
    course, sessions = _tms(site, patient, scheduler)
    sessions[1].status = "completed"
    sessions[1].save()
    assert run_night(site, django_capture_on_commit_callbacks) == 1
    first = Session.objects.get(pk=sessions[0].pk)
    assert first.status == "no_show" and "nightly job" in first.status_reason
    assert Session.objects.get(pk=sessions[2].pk).status == "scheduled"  # today's: not yet
    # No make-up was added silently: still three sessions.
    assert Session.objects.filter(course=course).count() == 3
    offer = ReplanOffer.objects.get()
    assert offer.session_id == first.pk and offer.status == "pending"
    assert offer.kind == "append_makeup"
    assert first.history.filter(status="no_show").get().history_user.username == "clinic-worker"


def test_running_the_night_twice_changes_nothing_more(
    site, patient, scheduler, django_capture_on_commit_callbacks
):
    _tms(site, patient, scheduler)
    run_night(site, django_capture_on_commit_callbacks)
    assert run_night(site, django_capture_on_commit_callbacks) == 0
    assert ReplanOffer.objects.count() == 2  # sessions of 9 and 10 March
    assert Session.objects.filter(status="no_show").count() == 2


def test_esketamine_no_show_gets_no_offer(
    site, patient, scheduler, django_capture_on_commit_callbacks
):
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    make_session(course=course, start=local(site, "2026-03-09", "09:00"))
    run_night(site, django_capture_on_commit_callbacks)
    assert Session.objects.get(course=course).status == "no_show"
    assert ReplanOffer.objects.count() == 0  # the label's rule: continue the schedule


def test_task_for_cancelled_or_deleted_session_records_a_skip(site, patient, scheduler):
    _, sessions = _tms(site, patient, scheduler, days=1)
    sessions[0].status = "cancelled"
    sessions[0].save()
    with time_machine.travel(local(site, "2026-03-11", "01:00"), tick=False):
        assert mark_session_no_show(sessions[0].pk) == "skipped"
        assert mark_session_no_show(424242) == "skipped"
    assert SkippedTask.objects.filter(task="mark_session_no_show").count() == 2
    assert Session.objects.get(pk=sessions[0].pk).status == "cancelled"


def test_staff_accept_an_offer_and_the_make_up_is_booked(
    api_as, site, patient, scheduler, django_capture_on_commit_callbacks
):
    course, _ = _tms(site, patient, scheduler, days=1)
    run_night(site, django_capture_on_commit_callbacks)
    offer = ReplanOffer.objects.get()
    api = api_as(scheduler)
    listed = api.get("scheduling/replan-offers")
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()] == [offer.pk]
    assert listed.json()[0]["patient_mrn"] == "MRN-001"
    with time_machine.travel(local(site, "2026-03-11", "08:00"), tick=False):
        response = api.post(f"scheduling/replan-offers/{offer.pk}/accept")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["offer"]["status"] == "accepted"
    assert body["moved"] and body["moved"][0]["added"] is True
    assert Session.objects.filter(course=course, status="scheduled").count() == 1
    again = api.post(f"scheduling/replan-offers/{offer.pk}/accept")
    assert again.status_code == 409 and again.json()["code"] == "offer_decided"


def test_staff_dismiss_an_offer_and_other_sites_cannot_see_it(
    api_as, site, patient, scheduler, nurse, outsider, django_capture_on_commit_callbacks
):
    course, _ = _tms(site, patient, scheduler, days=1)
    run_night(site, django_capture_on_commit_callbacks)
    offer = ReplanOffer.objects.get()
    assert api_as(outsider).get("scheduling/replan-offers").json() == []
    assert api_as(outsider).post(f"scheduling/replan-offers/{offer.pk}/dismiss").status_code == 404
    assert api_as(nurse).post(f"scheduling/replan-offers/{offer.pk}/dismiss").status_code == 403
    response = api_as(scheduler).post(
        f"scheduling/replan-offers/{offer.pk}/dismiss", {"note": "rebooked by phone"}
    )
    assert response.status_code == 200
    assert response.json()["offer"]["status"] == "dismissed"
    assert response.json()["offer"]["note"] == "rebooked by phone"
    assert Session.objects.filter(course=course).count() == 1  # nothing booked


def test_the_desk_no_show_still_adds_the_make_up_at_once(api_as, site, patient, scheduler):
    course, sessions = _tms(site, patient, scheduler, days=1)
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        response = api_as(scheduler).post(f"sessions/{sessions[0].pk}/no_show")
    assert response.status_code == 200, response.json()
    assert Session.objects.filter(course=course).count() == 2
    assert ReplanOffer.objects.count() == 0
