"""A late dose extending the monitoring chair's hold, racing a booking of that chair right
after the booked hold: on PostgreSQL the exclusion constraint keeps the two holds apart, ever.

Either the booking commits first (then the extension stops at its start, and the booking is at
risk) or the extension does (then the booking goes to the other chair or a later time): no
active holds of one resource overlap, and both operations succeed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from charting.form_templates import template_load_library
from charting.models import ObservationRecord
from charting.observations import observation_set_anchor
from clinic.models import Resource
from scheduling.enrolment import course_enrol
from scheduling.models import ResourceHold, Session
from tests.charting.hold_support import DAY, book_one, chair_hold, start_session
from tests.concurrency.harness import race, warm
from tests.support.clock import local
from tests.support.factories import builtin_protocol, make_patient

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OVERLAPS = """
    SELECT count(*) FROM scheduling_resourcehold a JOIN scheduling_resourcehold b
      ON a.resource_id = b.resource_id AND a.id < b.id
     WHERE a.active AND b.active AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
"""


def _overlapping_holds() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        return cursor.fetchone()[0]


@pytest.mark.parametrize("round_", range(5))
def test_a_late_dose_and_a_booking_of_the_same_chair_never_overlap(
    site, scheduler, nurse, patient, round_
):
    template_load_library()
    # One monitoring chair: the booking has nowhere else to go at 11:30.
    Resource.objects.filter(site=site, kind="monitoring_chair", name="Spravato 2").update(
        active=False
    )
    session = book_one(site, patient, scheduler, "09:00")
    record = start_session(session, nurse, local(site, DAY, "09:00"))
    other = make_patient(site, f"ESK-R{round_}")
    dose = local(site, DAY, "09:45")
    warm(scheduler)
    warm(nurse)

    def act(i: int) -> object:
        if i == 0:
            fresh = ObservationRecord.objects.get(pk=record.pk)
            return observation_set_anchor(record=fresh, at=dose, by=nurse, now=dose).pk
        return course_enrol(
            patient=other.pk,
            protocol=builtin_protocol("esketamine"),
            site=site.pk,
            start_date=dt.date.fromisoformat(DAY),
            preferred_time=dt.time(11, 30),
            by=scheduler,
            exact=True,
            now=local(site, DAY, "09:40"),
        ).course.pk

    results = race(2, act)
    assert results[0][0] == "ok", results
    # The booking either won the 11:30 slot or lost it cleanly (409, nothing written).
    assert results[1][0] == "ok" or results[1] == (409, "slot_taken"), results
    assert _overlapping_holds() == 0
    hold = chair_hold(session)
    booked = Session.objects.filter(patient=other, number=1).first()
    if booked is not None:  # the booking committed first: the hold stops at its start
        assert hold.end == local(site, DAY, "11:30")
        assert ResourceHold.objects.filter(session=booked, active=True).exists()
    else:
        assert hold.end == local(site, DAY, "11:45")
    with transaction.atomic():
        assert ObservationRecord.objects.get(pk=record.pk).anchor_at == dose
