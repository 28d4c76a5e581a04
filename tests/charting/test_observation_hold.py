"""The monitoring chair's hold follows the dose (issue 15, point 3): recording or moving the
dose time moves the observation hold's end to the earliest discharge (never shorter than
booked) in the same transaction; when the next booking on the chair is in the way, the dose is
still recorded, the hold runs as far as the chair is free and that booking is at risk."""

from __future__ import annotations

import datetime as dt

import time_machine

from charting.observations import observation_set_anchor
from charting.treatment import parameters_record
from scheduling.enrolment import course_enrol
from scheduling.models import Session
from tests.charting.hold_support import DAY, book_one, chair_hold, start_session
from tests.support.clock import local
from tests.support.factories import builtin_protocol, make_patient


def test_a_late_dose_extends_the_chair_hold_to_the_earliest_discharge(
    site, scheduler, nurse, patient
):
    session = book_one(site, patient, scheduler, "09:00")
    assert chair_hold(session).end == local(site, DAY, "11:30")
    record = start_session(session, nurse, local(site, DAY, "09:00"))
    dose = local(site, DAY, "09:45")
    observation_set_anchor(record=record, at=dose, by=nurse, now=dose)
    hold = chair_hold(session)
    assert hold.end == local(site, DAY, "11:45")  # dose + 120 minutes
    session.refresh_from_db()
    assert session.observation_end == local(site, DAY, "11:45")
    assert session.earliest_discharge == local(site, DAY, "11:45")


def test_the_dose_recorded_with_the_parameters_moves_the_hold_too(site, scheduler, nurse, patient):
    session = book_one(site, patient, scheduler, "09:00")
    start_session(session, nurse, local(site, DAY, "09:00"))
    dose = local(site, DAY, "09:50")
    parameters_record(
        session=session,
        values={
            "dose_mg": 56,
            "devices": 2,
            "device_lot": "L1",
            "first_device_at": dose.isoformat(),
        },
        by=nurse,
        now=dose,
    )
    assert chair_hold(session).end == local(site, DAY, "11:50")


def test_moving_the_dose_earlier_never_shortens_the_booked_hold(site, scheduler, nurse, patient):
    session = book_one(site, patient, scheduler, "09:00")
    record = start_session(session, nurse, local(site, DAY, "09:00"))
    late = local(site, DAY, "09:45")
    observation_set_anchor(record=record, at=late, by=nurse, now=late)
    corrected = local(site, DAY, "09:05")  # a typo corrected: the first device at 09:05
    observation_set_anchor(record=record, at=corrected, by=nurse, now=late)
    assert chair_hold(session).end == local(site, DAY, "11:30")  # as booked, not 11:05


def test_availability_and_booking_do_not_offer_the_chair_inside_the_minimum(
    site, scheduler, nurse, patient, api_as
):
    session = book_one(site, patient, scheduler, "09:00")
    chair = chair_hold(session).resource
    record = start_session(session, nurse, local(site, DAY, "09:00"))
    dose = local(site, DAY, "09:45")
    observation_set_anchor(record=record, at=dose, by=nurse, now=dose)
    with time_machine.travel(dose, tick=False):
        free = api_as(scheduler).get(
            "availability",
            site_id=site.pk,
            kind="monitoring_chair",
            start=DAY,
            end=DAY,
            minutes=150,
        )
    assert free.status_code == 200, free.json()
    slots = {r["resource_id"]: r["slots"] for r in free.json()["resources"]}
    starts = {dt.datetime.fromisoformat(s["start"].replace("Z", "+00:00")) for s in slots[chair.pk]}
    assert local(site, DAY, "11:30") not in starts
    assert local(site, DAY, "11:45") in starts
    other = make_patient(site, "ESK-C")
    preview = course_enrol(
        patient=other,
        protocol=builtin_protocol("esketamine"),
        site=site,
        start_date=dt.date.fromisoformat(DAY),
        preferred_time=dt.time(11, 30),
        by=scheduler,
        dry_run=True,
        now=dose,
    )
    first = preview.sessions[0]
    assert first.start == local(site, DAY, "11:30")
    assert {h.resource_id for h in preview.holds_of(first)} != {chair.pk}  # the other chair


def test_a_next_booking_in_the_way_still_records_the_dose_and_caps_the_hold(
    site, scheduler, nurse, patient
):
    session = book_one(site, patient, scheduler, "09:00")
    chair = chair_hold(session).resource
    later = book_one(site, make_patient(site, "ESK-B"), scheduler, "11:30")
    assert chair_hold(later).resource == chair  # the same chair, right after
    record = start_session(session, nurse, local(site, DAY, "09:00"))
    dose = local(site, DAY, "09:45")
    observation_set_anchor(record=record, at=dose, by=nurse, now=dose)
    record.refresh_from_db()
    assert record.anchor_recorded and record.anchor_at == dose
    assert chair_hold(session).end == local(site, DAY, "11:30")  # as far as the chair is free
    session.refresh_from_db()
    assert session.earliest_discharge == local(site, DAY, "11:45")
    assert Session.objects.get(pk=later.pk).status == "scheduled"


def _late_dose_before_a_booking(site, scheduler, nurse, patient):
    session = book_one(site, patient, scheduler, "09:00")
    later = book_one(site, make_patient(site, "ESK-B"), scheduler, "11:30")
    record = start_session(session, nurse, local(site, DAY, "09:00"))
    dose = local(site, DAY, "09:45")
    observation_set_anchor(record=record, at=dose, by=nurse, now=dose)
    return session, later, dose


def _flag(html: str, later) -> str:
    marker = f'id="flag-chair_at_risk-{later.pk}"'
    assert marker in html, html
    item = html[html.index(marker) :]
    return item[: item.index("</li>")]


def test_the_booking_in_the_way_is_flagged_on_the_board_grid_and_nurse_day(
    site, scheduler, nurse, patient, client
):
    _session, later, dose = _late_dose_before_a_booking(site, scheduler, nurse, patient)
    for user, path, can_move in [
        (scheduler, f"/?site={site.pk}&date={DAY}", True),
        (scheduler, f"/grid/?site={site.pk}&date={DAY}", True),
        (nurse, f"/nurse/?site={site.pk}&date={DAY}", False),
    ]:
        client.force_login(user)
        with time_machine.travel(dose, tick=False):
            page = client.get(path)
        assert page.status_code == 200, path
        item = _flag(page.content.decode(), later)
        assert "Pat ESK-B, session 1 at 11:30 on Spravato 1, is at risk" in item
        assert "before 11:45" in item
        assert f'href="/sessions/{later.pk}/"' in item
        assert "Free at that time: Spravato 2." in item
        assert ("Move to a free chair" in item) is can_move, path


def test_moving_the_flagged_booking_to_the_free_chair_clears_the_flag(
    site, scheduler, nurse, patient, client
):
    session, later, dose = _late_dose_before_a_booking(site, scheduler, nurse, patient)
    from scheduling.session_reschedule import session_reschedule

    # Rescheduled to its own time: the placer sees Spravato 1 taken until 11:45.
    session_reschedule(session_id=later.pk, to=later.start, by=scheduler, now=dose)
    assert chair_hold(later).resource.name == "Spravato 2"
    assert Session.objects.get(pk=later.pk).start == local(site, DAY, "11:30")
    # The chair is free now: the hold runs on to the earliest discharge.
    assert chair_hold(session).end == local(site, DAY, "11:45")
    client.force_login(scheduler)
    with time_machine.travel(dose, tick=False):
        page = client.get(f"/?site={site.pk}&date={DAY}").content.decode()
    assert "flag-chair_at_risk" not in page


def test_cancelling_the_booking_in_the_way_lets_the_hold_run_on(site, scheduler, nurse, patient):
    from scheduling.session_cancellation import session_cancel

    session, later, dose = _late_dose_before_a_booking(site, scheduler, nurse, patient)
    assert chair_hold(session).end == local(site, DAY, "11:30")
    session_cancel(session_id=later.pk, reason="patient unwell", by=scheduler, now=dose)
    assert chair_hold(session).end == local(site, DAY, "11:45")
