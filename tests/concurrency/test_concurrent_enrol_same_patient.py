"""Two courses of one modality for one patient, booked at the same moment at different times
of day: the sessions do not overlap, so no exclusion constraint stops the second; the patient
row lock in course_enrol must. Exactly one course is booked; the others get 409."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from scheduling.enrolment import course_enrol
from scheduling.models import Course, Session
from tests.concurrency.harness import race, warm
from tests.scheduling.booking_support import MONDAY, NOW, TMS_10
from tests.support.factories import make_protocol

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 6


def test_simultaneous_same_modality_courses_for_one_patient_one_wins(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    warm(scheduler)

    def book(i: int) -> int:
        return course_enrol(
            patient=patient.pk,
            protocol="tms",
            site=site.pk,
            start_date=MONDAY,
            preferred_time=dt.time(9 + i, 0),  # 09:00, 10:00, ...: never the same slot
            by=scheduler,
            now=NOW,
        ).course.pk

    results = race(THREADS, book)
    assert Counter(r[0] for r in results) == {"ok": 1, 409: THREADS - 1}, results
    assert {r[1] for r in results if r[0] == 409} == {"overlapping_course"}
    assert Course.objects.count() == 1
    assert Session.objects.count() == 10
