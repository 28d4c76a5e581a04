"""Course changes from the course page (issue 18): the prescriber with history, extending a
course by N sessions of a phase, and discontinuing from an effective date, each with a dry run
that writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.errors import DomainError
from clinic.models import Closure
from scheduling.course_changes import course_extend, course_prescriber_set, prescriber_history
from scheduling.courses import course_discontinue
from scheduling.models import Course, ResourceHold, Session
from tests.scheduling.booking_support import MONDAY, NY, TMS_36, book
from tests.support.clock import local
from tests.support.factories import make_user

S = Session.Status


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(NY, MONDAY, "08:50"), tick=False):
        yield


def test_extend_adds_n_sessions_of_the_phase_after_the_last_one(site, scheduler, patient):
    course = book(patient, scheduler)  # 10 acute, Mon 2 Mar - Fri 13 Mar at 09:00
    last = Session.objects.filter(course=course).order_by("-number")[0]

    result = course_extend(course_id=course.pk, phase="acute", count=3, by=scheduler)

    assert [s.number for s in result.added] == [11, 12, 13]
    days = [s.start.astimezone(NY).date() for s in result.added]
    assert days == [dt.date(2026, 3, 16), dt.date(2026, 3, 17), dt.date(2026, 3, 18)]
    assert all(s.start > last.start for s in result.added)
    assert {s.start.astimezone(NY).time() for s in result.added} == {dt.time(9, 0)}
    assert Session.objects.filter(course=course, active=True).count() == 13
    assert ResourceHold.objects.filter(session__in=result.added, active=True).count() == 3
    assert all(s.phase == "acute" for s in result.added)


def test_extend_skips_a_closed_day(site, scheduler, patient):
    course = book(patient, scheduler)
    Closure.objects.create(site=site, date=dt.date(2026, 3, 16), reason="staff training")

    result = course_extend(course_id=course.pk, phase="acute", count=2, by=scheduler)

    days = [s.start.astimezone(NY).date() for s in result.added]
    assert dt.date(2026, 3, 16) not in days
    assert days[0] == dt.date(2026, 3, 17)


def test_extend_dry_run_writes_nothing(site, scheduler, patient):
    course = book(patient, scheduler)

    preview = course_extend(course_id=course.pk, phase="acute", count=2, by=scheduler, dry_run=True)

    assert [s.number for s in preview.added] == [11, 12]
    assert Session.objects.filter(course=course).count() == 10
    real = course_extend(course_id=course.pk, phase="acute", count=2, by=scheduler)
    assert [s.start for s in real.added] == [s.start for s in preview.added]


def test_extend_by_a_taper_phase_of_a_longer_course(site, scheduler, patient):
    course = book(patient, scheduler, TMS_36, "tms36")
    result = course_extend(course_id=course.pk, phase="taper", count=2, by=scheduler)
    assert [s.number for s in result.added] == [37, 38]
    assert {s.phase_index for s in result.added} == {1}


@pytest.mark.parametrize(
    ("phase", "count", "code"),
    [
        ("maintenance", 2, "phase_not_in_protocol"),
        ("acute", 0, "extend_count_out_of_range"),
        ("acute", 31, "extend_count_out_of_range"),
    ],
)
def test_extend_refusals(site, scheduler, patient, phase, count, code):
    course = book(patient, scheduler)
    with pytest.raises(DomainError) as err:
        course_extend(course_id=course.pk, phase=phase, count=count, by=scheduler)
    assert err.value.code == code
    assert Session.objects.filter(course=course).count() == 10


def test_extend_a_discontinued_course_is_refused(site, scheduler, patient):
    course = book(patient, scheduler)
    course_discontinue(course_id=course.pk, reason="stop", by=scheduler)
    with pytest.raises(DomainError) as err:
        course_extend(course_id=course.pk, phase="acute", count=1, by=scheduler)
    assert err.value.code == "invalid_transition"


def test_nurse_may_not_extend(site, scheduler, nurse, patient):
    course = book(patient, scheduler)
    with pytest.raises(DomainError) as err:
        course_extend(course_id=course.pk, phase="acute", count=1, by=nurse)
    assert err.value.code == "role_forbidden"


def test_discontinue_from_an_effective_date_keeps_the_earlier_sessions(site, scheduler, patient):
    course = book(patient, scheduler)  # sessions 6-10 are in the week of 9 March

    result = course_discontinue(
        course_id=course.pk, reason="no response", by=scheduler, effective=dt.date(2026, 3, 9)
    )

    assert [s.number for s in result.cancelled] == [6, 7, 8, 9, 10]
    statuses = dict(Session.objects.filter(course=course).values_list("number", "status"))
    assert {statuses[n] for n in range(1, 6)} == {S.SCHEDULED}
    assert {statuses[n] for n in range(6, 11)} == {S.CANCELLED}
    course.refresh_from_db()
    assert course.status == Course.Status.DISCONTINUED


def test_discontinue_dry_run_writes_nothing(site, scheduler, patient):
    course = book(patient, scheduler)

    preview = course_discontinue(
        course_id=course.pk, reason="x", by=scheduler, effective=dt.date(2026, 3, 12), dry_run=True
    )

    assert [s.number for s in preview.cancelled] == [9, 10]
    course.refresh_from_db()
    assert course.status == Course.Status.PLANNED
    assert Session.objects.filter(course=course, status=S.SCHEDULED).count() == 10
    assert ResourceHold.objects.filter(session__course=course, active=True).count() == 10


@pytest.mark.parametrize("day", [dt.date(2026, 3, 1), dt.date(2026, 3, 14)])
def test_discontinue_effective_date_out_of_range(site, scheduler, patient, day):
    course = book(patient, scheduler)
    with pytest.raises(DomainError) as err:
        course_discontinue(course_id=course.pk, reason="x", by=scheduler, effective=day)
    assert err.value.code == "effective_date_out_of_range"


def test_prescriber_change_is_kept_with_history(site, scheduler, clinician, patient):
    other = make_user("dora", "clinician", site)
    course = book(patient, scheduler, prescriber_id=clinician.pk)

    course_prescriber_set(
        course_id=course.pk, prescriber_id=other.pk, by=scheduler, reason="covering the leave"
    )

    course.refresh_from_db()
    assert course.prescriber == other
    (change,) = prescriber_history(course)
    assert (change.old, change.new, change.by) == ("carl", "dora", "sam")
    assert change.reason == "covering the leave"


def test_prescriber_must_be_a_clinician_of_the_site(site, scheduler, nurse, patient):
    course = book(patient, scheduler)
    with pytest.raises(DomainError) as err:
        course_prescriber_set(course_id=course.pk, prescriber_id=nurse.pk, by=scheduler)
    assert err.value.code == "prescriber_invalid"


def test_nurse_may_not_change_the_prescriber(site, scheduler, nurse, clinician, patient):
    course = book(patient, scheduler)
    with pytest.raises(DomainError) as err:
        course_prescriber_set(course_id=course.pk, prescriber_id=clinician.pk, by=nurse)
    assert err.value.code == "role_forbidden"
