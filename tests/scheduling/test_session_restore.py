"""Cancel with a make-up choice, and restoring a session cancelled by mistake (issue 18)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.errors import DomainError
from scheduling.models import ResourceHold, Session
from scheduling.session_cancellation import session_cancel, session_no_show
from scheduling.session_reschedule import session_reschedule
from scheduling.session_restore import session_restore
from tests.scheduling.booking_support import ECT_12, ESK, NOW, TMS_10, book, one_chair
from tests.support.factories import make_patient

S = Session.Status


def _count(course) -> int:
    return Session.objects.filter(course=course, active=True).count()


@pytest.mark.parametrize(
    ("spec", "make_up", "added"),
    [
        (TMS_10, None, True),
        (TMS_10, True, True),
        (TMS_10, False, False),
        (ECT_12, None, False),
        (ECT_12, True, True),
        (ESK, None, False),
        (ESK, True, True),
        (ESK, False, False),
    ],
)
def test_cancel_make_up_choice_overrides_the_protocol_rule(site, scheduler, spec, make_up, added):
    if spec is ESK:
        site.rems_certified = True
        site.save()
    course = book(make_patient(site, "C1"), scheduler, spec, spec["modality"])
    before = _count(course)
    second = Session.objects.get(course=course, number=2)
    change = session_cancel(
        session_id=second.pk, reason="unwell", by=scheduler, now=NOW, make_up=make_up
    )
    # ESK's make-up goes at the end of induction: the maintenance sessions move after it.
    assert sum(m.added for m in change.moved) == (1 if added else 0)
    if not added:
        assert change.moved == []
    assert _count(course) == before - 1 + (1 if added else 0)


def test_restore_at_the_old_time_reactivates_the_holds(site, scheduler):
    course = book(make_patient(site, "R1"), scheduler, ECT_12, "ect")
    s = Session.objects.get(course=course, number=3)
    session_cancel(session_id=s.pk, reason="mistake", by=scheduler, now=NOW)
    seq = Session.objects.get(pk=s.pk).sequence
    change = session_restore(session_id=s.pk, by=scheduler, now=NOW)
    s.refresh_from_db()
    assert s.status == S.SCHEDULED and s.active and s.status_reason == "restored"
    assert s.sequence == seq + 1
    holds = ResourceHold.objects.filter(session=s)
    assert holds.count() == 2 and all(h.active for h in holds)
    assert change.session.pk == s.pk


def test_restore_dry_run_changes_nothing(site, scheduler):
    course = book(make_patient(site, "R2"), scheduler, ECT_12, "ect")
    s = Session.objects.get(course=course, number=3)
    session_cancel(session_id=s.pk, reason="mistake", by=scheduler, now=NOW)
    session_restore(session_id=s.pk, by=scheduler, now=NOW, dry_run=True)
    assert Session.objects.get(pk=s.pk).status == S.CANCELLED


def test_restore_cancels_the_make_up_the_cancellation_added(site, scheduler):
    course = book(make_patient(site, "R3"), scheduler, TMS_10, "tms")
    s = Session.objects.get(course=course, number=2)
    change = session_cancel(session_id=s.pk, reason="mistake", by=scheduler, now=NOW)
    makeup = next(m.session for m in change.moved if m.added)
    assert _count(course) == 10
    session_restore(session_id=s.pk, by=scheduler, now=NOW)
    makeup.refresh_from_db()
    assert makeup.status == S.CANCELLED and makeup.status_reason == "session 2 was restored"
    assert Session.objects.filter(pk=makeup.pk).exists()  # marked, not deleted
    assert _count(course) == 10
    assert not ResourceHold.objects.filter(session=makeup, active=True).exists()


def test_restore_when_taken_is_a_conflict_naming_the_nearest_start(site, scheduler):
    one_chair(site)
    course = book(make_patient(site, "R4"), scheduler, TMS_10, "tms")
    s = Session.objects.get(course=course, number=3)
    session_cancel(session_id=s.pk, reason="mistake", by=scheduler, now=NOW, make_up=False)
    other = book(make_patient(site, "R5"), scheduler, TMS_10, "tms2", start_date=s.start.date())
    taker = Session.objects.get(course=other, number=1)
    if taker.start != s.start:
        session_reschedule(session_id=taker.pk, to=s.start, by=scheduler, now=NOW)
    with pytest.raises(DomainError) as err:
        session_restore(session_id=s.pk, by=scheduler, now=NOW)
    assert err.value.code == "holds_taken"
    nearest = dt.datetime.fromisoformat(err.value.details["nearest"])
    assert nearest != s.start
    assert Session.objects.get(pk=s.pk).status == S.CANCELLED
    change = session_restore(session_id=s.pk, by=scheduler, now=NOW, to=nearest)
    s.refresh_from_db()
    assert s.status == S.SCHEDULED and s.start == nearest
    assert ResourceHold.objects.filter(session=s, active=True).exists()
    assert any(m.session.pk == s.pk for m in change.moved)


def test_restore_is_refused_for_a_no_show_and_a_stopped_course(site, scheduler):
    course = book(make_patient(site, "R6"), scheduler, ECT_12, "ect")
    first = Session.objects.get(course=course, number=1)
    late = first.start + dt.timedelta(hours=2)
    session_no_show(session_id=first.pk, by=scheduler, now=late)
    with pytest.raises(DomainError) as err:
        session_restore(session_id=first.pk, by=scheduler, now=late)
    assert err.value.code == "not_restorable"
    third = Session.objects.get(course=course, number=3)
    session_cancel(session_id=third.pk, reason="x", by=scheduler, now=NOW)
    course.status = course.Status.DISCONTINUED
    course.save()
    with pytest.raises(DomainError) as err:
        session_restore(session_id=third.pk, by=scheduler, now=NOW)
    assert err.value.code == "not_restorable"
    assert "discontinued" in err.value.message


def test_restore_refused_once_the_time_has_passed(site, scheduler):
    course = book(make_patient(site, "R7"), scheduler, ECT_12, "ect")
    first = Session.objects.get(course=course, number=1)
    session_cancel(session_id=first.pk, reason="x", by=scheduler, now=NOW)
    with pytest.raises(DomainError) as err:
        session_restore(session_id=first.pk, by=scheduler, now=first.start + dt.timedelta(hours=1))
    assert err.value.code == "not_restorable"


def test_api_cancel_make_up_and_restore(site, scheduler, client, settings):
    settings.CLINIC_NOW = NOW
    course = book(make_patient(site, "A1"), scheduler, TMS_10, "tms")
    s = Session.objects.get(course=course, number=5)
    client.force_login(scheduler)
    r = client.post(
        f"/api/v1/sessions/{s.pk}/cancel",
        {"reason": "ill", "make_up": False},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["moved"] == []
    r = client.post(
        f"/api/v1/sessions/{s.pk}/restore", {"dry_run": True}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert Session.objects.get(pk=s.pk).status == S.CANCELLED
    r = client.post(f"/api/v1/sessions/{s.pk}/restore", {}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert Session.objects.get(pk=s.pk).status == S.SCHEDULED
    r = client.post(f"/api/v1/sessions/{s.pk}/restore", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "not_restorable"
