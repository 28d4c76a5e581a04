"""Status transitions: who may move a session along, in which order, and what charting gates."""

from __future__ import annotations

import pytest
import time_machine

from clinic.errors import Conflict
from scheduling.enrolment import course_enrol
from scheduling.models import Course, ResourceHold, Session
from scheduling.session_cancellation import session_cancel
from scheduling.session_lifecycle import session_check_in, session_complete, session_start
from tests.scheduling.booking_support import ESK, MONDAY, NINE, NOW, NY, TMS_10, book
from tests.support.clock import local
from tests.support.factories import make_protocol

ON_THE_DAY = local(NY, MONDAY, "08:50")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(ON_THE_DAY, tick=False):
        yield


def first_session(course) -> Session:
    return Session.objects.get(course=course, number=1)


def test_tms_session_runs_checked_in_started_completed(site, scheduler, nurse, patient, api_as):
    course = book(patient, scheduler)
    s = first_session(course)
    client = api_as(nurse)
    for action, status in [
        ("check_in", "checked_in"),
        ("start", "in_progress"),
        ("complete", "completed"),
    ]:
        response = client.post(f"sessions/{s.pk}/{action}")
        assert response.status_code == 200, response.content
        assert response.json()["session"]["status"] == status
    s.refresh_from_db()
    assert s.status == "completed" and s.sequence == 3
    assert (s.checked_in_at, s.started_at, s.completed_at) == (ON_THE_DAY,) * 3
    assert Course.objects.get().status == Course.Status.ACTIVE  # nine sessions to go


def test_esketamine_passes_through_observing_before_completion(site, clinician, nurse, api_as):
    site.rems_certified = True
    site.save()
    from tests.support.factories import make_patient

    person = make_patient(site, "MRN-E1")
    course = book(person, clinician, ESK, "esk")
    s = first_session(course)
    client = api_as(nurse)
    assert client.post(f"sessions/{s.pk}/check_in").status_code == 200
    assert client.post(f"sessions/{s.pk}/start").status_code == 200
    early = client.post(f"sessions/{s.pk}/complete")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    assert "observation" in early.json()["message"]
    assert client.post(f"sessions/{s.pk}/observe").json()["session"]["status"] == "observing"
    assert client.post(f"sessions/{s.pk}/complete").json()["session"]["status"] == "completed"


def test_tms_has_no_observing_step(site, scheduler, nurse, patient, api_as):
    s = first_session(book(patient, scheduler))
    client = api_as(nurse)
    client.post(f"sessions/{s.pk}/check_in")
    client.post(f"sessions/{s.pk}/start")
    response = client.post(f"sessions/{s.pk}/observe")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


@pytest.mark.parametrize(
    ("action", "payload"),
    [("start", None), ("complete", None), ("observe", None)],
)
def test_steps_cannot_be_skipped(site, scheduler, nurse, patient, api_as, action, payload):
    s = first_session(book(patient, scheduler))
    response = api_as(nurse).post(f"sessions/{s.pk}/{action}", payload)
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    s.refresh_from_db()
    assert s.status == "scheduled" and s.sequence == 0


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("cancel", {"reason": "flu"}),
        ("no_show", {}),
        ("check_in", None),
        ("reschedule", {"next_valid": True}),
    ],
)
def test_a_completed_session_is_final(site, scheduler, clinician, patient, api_as, action, payload):
    s = first_session(book(patient, scheduler))
    client = api_as(clinician)
    for step in ("check_in", "start", "complete"):
        assert client.post(f"sessions/{s.pk}/{step}").status_code == 200
    response = client.post(f"sessions/{s.pk}/{action}", payload)
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    s.refresh_from_db()
    assert s.status == "completed"


def test_nurse_may_not_cancel_or_mark_no_show(site, scheduler, nurse, patient, api_as):
    s = first_session(book(patient, scheduler))
    client = api_as(nurse)
    for action, payload in [
        ("cancel", {"reason": "x"}),
        ("no_show", {}),
        ("reschedule", {"next_valid": True}),
    ]:
        response = client.post(f"sessions/{s.pk}/{action}", payload)
        assert (response.status_code, response.json()["code"]) == (403, "role_forbidden")
    s.refresh_from_db()
    assert s.status == "scheduled"


def test_scheduler_may_not_start_a_treatment(site, scheduler, patient, api_as):
    s = first_session(book(patient, scheduler))
    client = api_as(scheduler)
    assert client.post(f"sessions/{s.pk}/check_in").status_code == 200
    response = client.post(f"sessions/{s.pk}/start")
    assert (response.status_code, response.json()["code"]) == (403, "role_forbidden")


def test_another_sites_staff_get_not_found(site, scheduler, outsider, patient, api_as):
    s = first_session(book(patient, scheduler))
    for action, payload in [("check_in", None), ("cancel", {"reason": "x"})]:
        response = api_as(outsider).post(f"sessions/{s.pk}/{action}", payload)
        assert (response.status_code, response.json()["code"]) == (404, "session_not_found")


def test_cancel_needs_a_reason_and_keeps_the_row(site, scheduler, patient, api_as):
    course = book(
        patient,
        scheduler,
        {
            **TMS_10,
            "modality": "ect",
            "timing": {"procedure_minutes": 30, "procedure_holds": ["ect_suite"]},
        },
        "ect",
    )
    s = first_session(course)
    client = api_as(scheduler)
    response = client.post(f"sessions/{s.pk}/cancel", {"reason": "  "})
    assert (response.status_code, response.json()["code"]) == (422, "reason_required")
    response = client.post(f"sessions/{s.pk}/cancel", {"reason": "patient unwell"})
    assert response.status_code == 200
    assert response.json()["moved"] == []  # not TMS: nothing is added
    s.refresh_from_db()
    assert (s.status, s.status_reason, s.active, s.sequence) == (
        "cancelled",
        "patient unwell",
        False,
        1,
    )
    assert not ResourceHold.objects.filter(session=s, active=True).exists()
    assert ResourceHold.objects.filter(session=s).count() == 1  # marked, never deleted


def test_a_cancelled_slot_can_be_booked_again(site, scheduler, patient):
    from tests.scheduling.booking_support import one_chair
    from tests.support.factories import make_patient

    one_chair(site)
    course = book(patient, scheduler)
    s = first_session(course)
    session_cancel(session_id=s.pk, reason="moved away", by=scheduler, now=NOW)
    other = make_patient(site, "MRN-2")
    make_protocol(
        {**TMS_10, "phases": [{"name": "x", "sessions": 1, "sessions_per_week": 1}]}, "one"
    )
    again = course_enrol(
        patient=other.pk,
        protocol="one",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
        exact=True,
    ).course
    assert first_session(again).start == s.start


def test_charting_gates_can_refuse_a_start(site, scheduler, nurse, patient, monkeypatch):
    from charting import gates

    def refuse(session):
        raise Conflict("Screening has an uncleared hard stop.", code="screening_hard_stop")

    monkeypatch.setattr(gates, "start_allowed", refuse)
    s = first_session(book(patient, scheduler))
    session_check_in(session_id=s.pk, by=nurse)
    with pytest.raises(Conflict) as err:
        session_start(session_id=s.pk, by=nurse)
    assert err.value.code == "screening_hard_stop"
    s.refresh_from_db()
    assert s.status == "checked_in" and s.started_at is None


def test_charting_hooks_run_after_start_and_completion(
    site, scheduler, nurse, patient, monkeypatch
):
    from charting import gates

    calls = []
    # Registered with scheduling's lifecycle in ChartingConfig.ready(): scheduling calls
    # charting's hooks without importing charting.
    monkeypatch.setattr(
        gates.ChartingGates,
        "after_start",
        lambda self, session, by, now: calls.append(("started", session.status, by)),
    )
    monkeypatch.setattr(
        gates.ChartingGates,
        "after_complete",
        lambda self, session, by, now: calls.append(("completed", session.status, by)),
    )
    s = first_session(book(patient, scheduler))
    session_check_in(session_id=s.pk, by=nurse)
    session_start(session_id=s.pk, by=nurse)
    session_complete(session_id=s.pk, by=nurse)
    assert calls == [("started", "in_progress", nurse), ("completed", "completed", nurse)]


def test_completing_the_last_session_completes_the_course(site, scheduler, nurse, patient):
    one = {**TMS_10, "phases": [{"name": "x", "sessions": 1, "sessions_per_week": 1}]}
    course = book(patient, scheduler, one, "one")
    s = first_session(course)
    for step in (session_check_in, session_start, session_complete):
        step(session_id=s.pk, by=nurse)
    course.refresh_from_db()
    assert course.status == Course.Status.COMPLETED


def test_course_status_changes_are_kept_in_its_history(site, scheduler, nurse, patient):
    course = book(patient, scheduler)
    session = first_session(course)

    session_check_in(session_id=session.pk, by=nurse)

    course.refresh_from_db()
    assert course.status == Course.Status.ACTIVE
    latest = course.history.order_by("-history_id").first()
    assert (latest.status, latest.history_user) == (Course.Status.ACTIVE, nurse)
    assert list(course.history.order_by("history_id").values_list("status", flat=True)) == [
        Course.Status.PLANNED,
        Course.Status.ACTIVE,
    ]
