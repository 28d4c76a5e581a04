"""Rescheduling keeps the protocol's rules; missed TMS sessions are made up at the end of their
phase."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine

from clinic.errors import Conflict, InvalidInput
from scheduling.enrolment import course_enrol
from scheduling.models import ResourceHold, Session
from scheduling.session_cancellation import session_cancel, session_no_show
from scheduling.session_reschedule import session_reschedule
from tests.scheduling.booking_support import (
    ECT_12,
    ESK,
    MONDAY,
    NINE,
    NOW,
    TMS_10,
    TMS_36,
    local,
    local_of,
    one_chair,
    protocol,
)
from tests.scheduling.booking_support import patient as make_patient

TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def book(patient, user, spec=TMS_10, slug="tms", **kw):
    protocol(spec, slug)
    return course_enrol(
        patient=patient.pk,
        protocol=slug,
        site=patient.site_id,
        start_date=kw.pop("start_date", MONDAY),
        preferred_time=kw.pop("preferred_time", NINE),
        by=user,
        now=NOW,
        **kw,
    ).course


def sessions(course) -> list[Session]:
    return list(Session.objects.filter(course=course).order_by("number"))


def days(course, active_only=True) -> list[dt.date]:
    return [local_of(s.start).date() for s in sessions(course) if s.active or not active_only]


def test_reschedule_to_a_free_time_moves_the_session_and_its_holds(
    site, scheduler, patient, api_as
):
    course = book(patient, scheduler)
    s = sessions(course)[0]
    new = local(MONDAY, 14, 30)
    response = api_as(scheduler).post(f"sessions/{s.pk}/reschedule", {"to": new.isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["number"] for m in body["moved"]] == [1]
    assert dt.datetime.fromisoformat(body["moved"][0]["old_start"]) == s.start
    s.refresh_from_db()
    assert (s.start, s.end, s.sequence) == (new, new + dt.timedelta(minutes=40), 1)
    hold = ResourceHold.objects.get(session=s)
    assert (hold.start, hold.end, hold.active) == (s.start, s.end, True)
    assert s.history.count() == 2  # created, then moved


def test_naive_and_malformed_datetimes_are_refused(site, scheduler, patient, api_as):
    s = sessions(book(patient, scheduler))[0]
    client = api_as(scheduler)
    naive = client.post(f"sessions/{s.pk}/reschedule", {"to": "2026-03-02T14:30:00"})
    assert (naive.status_code, naive.json()["code"]) == (422, "naive_datetime")
    bad = client.post(f"sessions/{s.pk}/reschedule", {"to": "next tuesday"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    neither = client.post(f"sessions/{s.pk}/reschedule", {})
    assert (neither.status_code, neither.json()["code"]) == (422, "invalid")
    s.refresh_from_db()
    assert s.sequence == 0


def test_reschedule_into_a_taken_slot_names_the_conflicting_session(site, scheduler, patient):
    one_chair(site)
    other = make_patient(site, "MRN-2")
    theirs = sessions(book(other, scheduler, preferred_time=dt.time(14, 0)))[0]
    mine = sessions(book(patient, scheduler))[0]
    with pytest.raises(Conflict) as err:
        session_reschedule(session_id=mine.pk, to=local(MONDAY, 14, 20), by=scheduler, now=NOW)
    assert err.value.code == "slot_taken" and f"session {theirs.pk}" in err.value.message
    mine.refresh_from_db()
    assert mine.start == local(MONDAY, 9) and mine.sequence == 0


@pytest.mark.parametrize(
    ("to", "code"),
    [
        (local(MONDAY, 7, 30), "outside_opening_hours"),
        (local(MONDAY, 17, 40), "outside_opening_hours"),
        (local(dt.date(2026, 3, 7), 10), "site_closed"),  # a Saturday
        (local(dt.date(2026, 2, 26), 10), "start_in_past"),
    ],
)
def test_reschedule_refuses_impossible_times(site, scheduler, patient, to, code):
    s = sessions(book(patient, scheduler))[0]
    with pytest.raises(InvalidInput) as err:
        session_reschedule(session_id=s.pk, to=to, by=scheduler, now=NOW)
    assert err.value.code == code


def test_moving_a_session_onto_the_previous_sessions_day_breaks_the_rule(site, scheduler, patient):
    s2 = sessions(book(patient, scheduler))[1]
    with pytest.raises(InvalidInput) as err:
        session_reschedule(session_id=s2.pk, to=local(MONDAY, 15), by=scheduler, now=NOW)
    assert err.value.code == "protocol_rule" and "session 1" in err.value.message


def test_ect_moved_later_pushes_later_sessions_to_keep_the_gap(site, scheduler, patient):
    course = book(patient, scheduler, ECT_12, "ect")
    before = days(course)
    assert before[:3] == [MONDAY, MONDAY + dt.timedelta(2), MONDAY + dt.timedelta(4)]
    first = sessions(course)[0]
    change = session_reschedule(session_id=first.pk, to=local(TUESDAY, 9), by=scheduler, now=NOW)
    moved = [m.session.number for m in change.moved]
    assert moved[:3] == [1, 2, 3]
    after = days(course)
    assert after[0] == TUESDAY and after[1] == TUESDAY + dt.timedelta(2)
    # Every gap still at least two days (3 a week spread out) and at most 3 per ISO week.
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(after))
    weeks = [d.isocalendar()[1] for d in after]
    assert max(weeks.count(w) for w in set(weeks)) <= 3
    for s in sessions(course):
        assert s.sequence == (1 if s.number in moved else 0)


def test_esketamine_induction_keeps_twice_weekly_cadence(site, clinician, patient):
    site.rems_certified = True
    site.save()
    course = book(patient, clinician, ESK, "esk")
    before = days(course)
    assert before[:3] == [MONDAY, MONDAY + dt.timedelta(3), MONDAY + dt.timedelta(7)]
    first = sessions(course)[0]
    change = session_reschedule(session_id=first.pk, to=local(TUESDAY, 9), by=clinician, now=NOW)
    after = days(course)
    # Mon -> Tue pushes Thu -> Fri (no consecutive-ish days: 3 apart); next Monday stays.
    assert [m.session.number for m in change.moved] == [1, 2]
    assert after[:3] == [TUESDAY, MONDAY + dt.timedelta(4), MONDAY + dt.timedelta(7)]
    assert after[3:] == before[3:]


def test_next_valid_moves_to_the_next_day_and_pushes_the_rest(site, scheduler, patient, api_as):
    course = book(patient, scheduler)
    fifth = sessions(course)[4]  # Friday 6 March
    response = api_as(scheduler).post(f"sessions/{fifth.pk}/reschedule", {"next_valid": True})
    assert response.status_code == 200, response.content
    after = days(course)
    assert after[4] == dt.date(2026, 3, 9)  # Monday after the weekend
    assert len(set(after)) == 10  # still one a day
    moved = [m["number"] for m in response.json()["moved"]]
    assert moved == [5, 6, 7, 8, 9, 10]
    for s in sessions(course)[4:]:
        assert local_of(s.start).time() == NINE  # across the DST change too


def test_no_show_of_a_tms_session_adds_a_make_up_at_the_end_of_its_phase(
    site, scheduler, patient, api_as
):
    course = book(patient, scheduler, TMS_36, "tms36")
    third = sessions(course)[2]
    last_acute = sessions(course)[29]
    taper = sessions(course)[30:]
    # A no-show only once the session has started (plus the site's grace minutes).
    with time_machine.travel(third.start + dt.timedelta(minutes=20), tick=False):
        response = api_as(scheduler).post(f"sessions/{third.pk}/no_show", {})
    assert response.status_code == 200, response.content
    moved = response.json()["moved"]
    added = [m for m in moved if m["added"]]
    assert len(added) == 1 and added[0]["number"] == 31
    third.refresh_from_db()
    assert (third.status, third.active, third.sequence) == ("no_show", False, 1)
    make_up = Session.objects.get(course=course, number=31)
    # Same phase as the missed session, after the phase's last session, at the course's time;
    # the taper moves after it and keeps its order, so the taper stays last.
    assert make_up.phase == "acute" and make_up.phase_index == 0
    assert make_up.start > last_acute.start and local_of(make_up.start).time() == NINE
    assert ResourceHold.objects.filter(session=make_up, active=True).count() == 1
    shifted = [Session.objects.get(pk=s.pk) for s in taper]
    assert [s.number for s in shifted] == list(range(32, 38))
    assert all(s.phase == "taper" for s in shifted)
    assert shifted[0].start > make_up.start
    assert Session.objects.filter(course=course, active=True).count() == 36
    last = Session.objects.filter(course=course, active=True).order_by("-start").first()
    assert last is not None and (last.phase, last.number) == ("taper", 37)


def test_cancelled_tms_session_is_made_up_too(site, scheduler, patient):
    course = book(patient, scheduler)
    s = sessions(course)[9]
    change = session_cancel(session_id=s.pk, reason="snow", by=scheduler, now=NOW)
    assert [m.session.number for m in change.moved] == [11]
    added = Session.objects.get(course=course, number=11)
    # The last session was Friday 13 March: the make-up goes to Monday 16 March.
    assert local_of(added.start).date() == dt.date(2026, 3, 16)


def test_no_show_of_an_ect_session_is_not_appended(site, scheduler, patient):
    course = book(patient, scheduler, ECT_12, "ect")
    s = sessions(course)[0]
    change = session_no_show(session_id=s.pk, by=scheduler, now=s.start + dt.timedelta(minutes=20))
    assert change.moved == []
    assert Session.objects.filter(course=course).count() == 12


def test_rescheduling_takes_a_bounded_number_of_queries(
    site, scheduler, patient, django_assert_max_num_queries
):
    course = book(patient, scheduler, TMS_36, "tms36")
    s = sessions(course)[0]
    with django_assert_max_num_queries(14):
        session_reschedule(session_id=s.pk, to=local(MONDAY, 15), by=scheduler, now=NOW)
    # A push of the whole chain costs no more queries than moving one session.
    fifth = sessions(course)[4]
    with django_assert_max_num_queries(14):
        change = session_reschedule(session_id=fifth.pk, next_valid=True, by=scheduler, now=NOW)
    assert len(change.moved) > 20
