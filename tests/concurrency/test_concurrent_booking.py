"""Many simultaneous bookings of one slot: exactly one wins, the rest get 409, nothing partial.

PostgreSQL only (SQLite serialises writers, so there is no race to lose): each thread has its
own connection and transaction; a Barrier releases them together so their reads all happen
before any commit. The exclusion constraints of migration 0002 are what stops the losers.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from django.db import IntegrityError, transaction

from clinic.errors import DomainError
from scheduling.booking_change import BookingChange
from scheduling.enrolment import course_enrol
from scheduling.models import Course, ResourceHold, Session
from scheduling.session_reschedule import session_reschedule
from tests.concurrency.harness import race, warm
from tests.scheduling.booking_support import MONDAY, NINE, NOW, NY, TMS_10, one_chair
from tests.support.clock import local
from tests.support.factories import make_patient, make_protocol

THREADS = 20
ONE_SESSION = {**TMS_10, "phases": [{"name": "x", "sessions": 1, "sessions_per_week": 1}]}
FIVE_SESSIONS = {**TMS_10, "phases": [{"name": "x", "sessions": 5, "sessions_per_week": 5}]}

# serialized_rollback: a transactional test empties the tables afterwards; the role groups
# that a data migration created must be back for every test.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_twenty_bookings_of_one_patient_into_one_slot_one_wins(site, scheduler, patient):
    one_chair(site)
    make_protocol(FIVE_SESSIONS, "five")
    warm(scheduler)

    def book(_i: int) -> int:
        return course_enrol(
            patient=patient.pk,
            protocol="five",
            site=site.pk,
            start_date=MONDAY,
            preferred_time=NINE,
            by=scheduler,
            now=NOW,
            exact=True,
        ).course.pk

    results = race(THREADS, book)
    outcomes = Counter(r[0] for r in results)
    assert outcomes == {"ok": 1, 409: THREADS - 1}, results
    assert {r[1] for r in results if r[0] == 409} <= {"slot_taken", "overlapping_course"}
    assert Course.objects.count() == 1
    assert Session.objects.count() == 5
    assert ResourceHold.objects.count() == 5


def test_twenty_patients_into_one_chair_slot_one_wins(site, scheduler):
    chair = one_chair(site)
    make_protocol(ONE_SESSION, "one")
    patients = [make_patient(site, f"MRN-C{i}") for i in range(THREADS)]
    warm(scheduler)

    def book(i: int) -> int:
        return course_enrol(
            patient=patients[i].pk,
            protocol="one",
            site=site.pk,
            start_date=MONDAY,
            preferred_time=NINE,
            by=scheduler,
            now=NOW,
            exact=True,
        ).course.pk

    results = race(THREADS, book)
    assert Counter(r[0] for r in results) == {"ok": 1, 409: THREADS - 1}, results
    assert {r[1] for r in results if r[0] == 409} == {"slot_taken"}
    assert Course.objects.count() == Session.objects.count() == 1
    hold = ResourceHold.objects.get()
    assert hold.resource_id == chair.pk and hold.start == local(NY, MONDAY, "09:00")


def test_twenty_reschedules_into_one_free_slot_one_wins(site, scheduler):
    one_chair(site)
    make_protocol(ONE_SESSION, "one")
    warm(scheduler)
    sessions = []
    for i in range(THREADS):
        person = make_patient(site, f"MRN-R{i}")
        # Each patient on a different day, all wanting Monday 16:00.
        day = MONDAY + dt.timedelta(days=7 + i)
        enrolment = course_enrol(
            patient=person.pk,
            protocol="one",
            site=site.pk,
            start_date=day,
            preferred_time=NINE,
            by=scheduler,
            now=NOW,
        )
        sessions.append(enrolment.sessions[0].pk)
    target = local(NY, MONDAY, "16:00")

    def move(i: int) -> int:
        session_reschedule(session_id=sessions[i], to=target, by=scheduler, now=NOW)
        return sessions[i]

    results = race(THREADS, move)
    assert Counter(r[0] for r in results) == {"ok": 1, 409: THREADS - 1}, results
    winner = next(r[1] for r in results if r[0] == "ok")
    assert list(Session.objects.filter(start=target).values_list("id", flat=True)) == [winner]
    assert ResourceHold.objects.filter(start=target).count() == 1
    assert ResourceHold.objects.count() == THREADS
    moved = Session.objects.exclude(pk=winner).filter(sequence__gt=0)
    assert not moved.exists()


def test_flexible_bookings_under_contention_never_overlap(site, scheduler):
    one_chair(site)
    make_protocol(FIVE_SESSIONS, "five")
    patients = [make_patient(site, f"MRN-F{i}") for i in range(THREADS)]
    warm(scheduler)

    def book(i: int) -> int:
        return course_enrol(
            patient=patients[i].pk,
            protocol="five",
            site=site.pk,
            start_date=MONDAY,
            preferred_time=NINE,
            by=scheduler,
            now=NOW,
        ).course.pk

    results = race(THREADS, book)
    assert all(r[0] in ("ok", 409) for r in results), results
    assert {r[1] for r in results if r[0] == 409} <= {"slot_taken"}
    wins = sum(1 for r in results if r[0] == "ok")
    assert wins >= 1
    assert Session.objects.count() == 5 * wins and ResourceHold.objects.count() == 5 * wins
    holds = sorted(ResourceHold.objects.values_list("start", "end"))
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(holds))


def test_the_database_itself_refuses_an_overlapping_hold(site, scheduler, patient):
    chair = one_chair(site)
    make_protocol(ONE_SESSION, "one")
    session = course_enrol(
        patient=patient.pk,
        protocol="one",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).sessions[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceHold.objects.create(
            session=session,
            resource=chair,
            part="procedure",
            start=local(NY, MONDAY, "09:20"),
            end=local(NY, MONDAY, "10:00"),
        )
    # Inactive holds (cancelled sessions) do not count.
    ResourceHold.objects.create(
        session=session,
        resource=chair,
        part="procedure",
        start=local(NY, MONDAY, "09:20"),
        end=local(NY, MONDAY, "10:00"),
        active=False,
    )


@pytest.mark.django_db(transaction=False)
def test_a_stale_picture_is_refused_by_the_database_as_slot_taken(site, scheduler, monkeypatch):
    """What a race loser sees, made deterministic: the service's read misses the winner's
    holds (as if read before the winner committed); PostgreSQL refuses, and the answer is a
    409 naming the winner's session, never a 500."""
    one_chair(site)
    make_protocol(ONE_SESSION, "one")
    first, second = make_patient(site, "MRN-S1"), make_patient(site, "MRN-S2")
    winner = course_enrol(
        patient=first.pk,
        protocol="one",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).sessions[0]
    real_load = BookingChange.load

    def stale(**kw):
        loaded = real_load(**kw)
        for timeline in loaded.placer.resource_busy.values():
            timeline.items = []
        return loaded

    monkeypatch.setattr(BookingChange, "load", staticmethod(stale))
    with pytest.raises(DomainError) as err:
        course_enrol(
            patient=second.pk,
            protocol="one",
            site=site.pk,
            start_date=MONDAY,
            preferred_time=NINE,
            by=scheduler,
            now=NOW,
        )
    assert (err.value.status, err.value.code) == (409, "slot_taken")
    assert f"session {winner.pk}" in err.value.message
    assert Course.objects.filter(patient=second).count() == 0
    assert Session.objects.count() == ResourceHold.objects.count() == 1
