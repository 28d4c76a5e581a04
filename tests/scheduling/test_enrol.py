"""Enrolment books the whole course: placement, holds, all-or-nothing, dry run, query bounds."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.errors import Conflict
from clinic.models import Resource
from scheduling.enrolment import course_enrol
from scheduling.models import Course, ResourceHold, Session
from tests.scheduling.booking_support import (
    ECT_12,
    ESK,
    MONDAY,
    NINE,
    NOW,
    NY,
    SAINT,
    TMS_10,
    TMS_36,
    local_of,
    one_chair,
)
from tests.support.clock import local
from tests.support.factories import make_patient, make_protocol


def enrol(patient, user, slug="tms", **kw):
    kw.setdefault("start_date", MONDAY)
    kw.setdefault("preferred_time", NINE)
    kw.setdefault("now", NOW)
    return course_enrol(
        patient=patient.pk, protocol=slug, site=patient.site_id, by=user, **kw
    ).course


def test_enrol_books_36_sessions_at_the_preferred_local_time_across_dst(site, scheduler, patient):
    make_protocol(TMS_36, "tms")
    course = enrol(patient, scheduler)
    sessions = list(Session.objects.filter(course=course).order_by("number"))
    assert [s.number for s in sessions] == list(range(1, 37))
    assert {local_of(s.start).time() for s in sessions} == {NINE}
    # 2 March is EST (UTC-5), 9 March EDT (UTC-4): same wall clock, different UTC hour.
    assert sessions[0].start == dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
    assert sessions[5].start == dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)
    assert [s.phase for s in sessions].count("taper") == 6
    assert all(s.status == "scheduled" and s.sequence == 0 and s.active for s in sessions)
    holds = list(ResourceHold.objects.filter(session__course=course).select_related("resource"))
    assert len(holds) == 36
    assert {h.resource.kind for h in holds} == {"tms_chair"}
    assert all(h.part == "procedure" and h.end - h.start == dt.timedelta(minutes=40) for h in holds)
    assert course.status == Course.Status.PLANNED and course.booked_by == scheduler


def test_two_courses_at_the_same_time_use_both_chairs(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    other = make_patient(site, "MRN-002")
    enrol(patient, scheduler)
    enrol(other, scheduler)
    first = {h.resource_id for h in ResourceHold.objects.filter(session__patient=patient)}
    second = {h.resource_id for h in ResourceHold.objects.filter(session__patient=other)}
    assert len(first) == 1 and len(second) == 1 and first != second
    assert set(Session.objects.values_list("start", flat=True)) == {
        s.start for s in Session.objects.filter(patient=patient)
    }


def test_taken_slot_moves_to_the_nearest_free_time_that_day(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    one_chair(site)
    other = make_patient(site, "MRN-002")
    # The other patient's single-session course holds the only chair Tuesday 09:00-09:40.
    make_protocol(
        {**TMS_10, "phases": [{"name": "x", "sessions": 1, "sessions_per_week": 1}]}, "one"
    )
    enrol(other, scheduler, slug="one", start_date=dt.date(2026, 3, 3))
    course = enrol(patient, scheduler)
    starts = [local_of(s.start) for s in Session.objects.filter(course=course).order_by("number")]
    # 08:20 and 09:40 are both 40 min from 09:00; the earlier wins the tie.
    assert starts[1] == local_of(local(NY, dt.date(2026, 3, 3), "08:20"))
    assert all(s.time() == NINE for i, s in enumerate(starts) if i != 1)


def test_a_full_day_moves_the_session_to_the_next_allowed_day(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    chair = one_chair(site)
    other = make_patient(site, "MRN-002")
    blocker = course_enrol(
        patient=other.pk,
        protocol=make_protocol(
            {**TMS_10, "phases": [{"name": "x", "sessions": 1, "sessions_per_week": 1}]}, "one"
        ).slug,
        site=site.pk,
        start_date=dt.date(2026, 3, 3),
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).course
    # Stretch the blocker's hold over the whole of Tuesday's opening hours.
    ResourceHold.objects.filter(session__course=blocker).update(
        start=local(NY, dt.date(2026, 3, 3), "08:00"), end=local(NY, dt.date(2026, 3, 3), "18:00")
    )
    Session.objects.filter(course=blocker).update(
        start=local(NY, dt.date(2026, 3, 3), "08:00"),
        end=local(NY, dt.date(2026, 3, 3), "18:00"),
        observation_end=local(NY, dt.date(2026, 3, 3), "18:00"),
    )
    course = enrol(patient, scheduler)
    days = [local_of(s.start).date() for s in Session.objects.filter(course=course)]
    assert dt.date(2026, 3, 3) not in days
    assert days[:4] == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 6),
    ]
    assert len(days) == 10 and len(set(days)) == 10
    assert {h.resource_id for h in ResourceHold.objects.filter(session__course=course)} == {
        chair.pk
    }


def test_esketamine_holds_one_monitoring_chair_for_dose_and_observation(site, clinician, patient):
    site.rems_certified = True
    site.save()
    make_protocol(ESK, "esk")
    course = enrol(patient, clinician, slug="esk")
    sessions = list(Session.objects.filter(course=course).prefetch_related("holds__resource"))
    assert len(sessions) == 12
    for s in sessions:
        holds = sorted(s.holds.all(), key=lambda h: h.start)
        assert [h.part for h in holds] == ["procedure", "observation"]
        assert holds[0].resource_id == holds[1].resource_id
        assert holds[0].resource.kind == "monitoring_chair"
        assert (holds[0].start, holds[0].end, holds[1].end) == (s.start, s.end, s.observation_end)
        assert s.observation_end - s.start == dt.timedelta(minutes=135)
    days = [local_of(s.start).date() for s in sessions[:8]]
    # Twice weekly, never on consecutive days (docs/clinical.md §5).
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(days))


def test_ect_holds_the_suite_then_a_recovery_bay(site, scheduler, patient):
    make_protocol(ECT_12, "ect")
    course = enrol(patient, scheduler, slug="ect")
    for s in Session.objects.filter(course=course).prefetch_related("holds__resource"):
        holds = {h.part: h for h in s.holds.all()}
        assert holds["procedure"].resource.kind == "ect_suite"
        assert holds["observation"].resource.kind == "recovery_bay"
        assert (holds["observation"].start, holds["observation"].end) == (s.end, s.observation_end)


def test_second_ect_patient_at_the_same_time_waits_for_the_suite_not_the_bay(
    site, scheduler, patient
):
    make_protocol(ECT_12, "ect")
    other = make_patient(site, "MRN-002")
    enrol(patient, scheduler, slug="ect")
    course = enrol(other, scheduler, slug="ect")
    first = Session.objects.filter(course=course).order_by("number").first()
    assert first is not None
    # One suite: the nearest free start is 30 minutes off (08:30 wins the tie with 09:30).
    assert local_of(first.start).time() == dt.time(8, 30)


def test_saint_keeps_fifty_minutes_between_same_day_sessions(site, scheduler, patient):
    make_protocol(SAINT, "saint")
    course = enrol(patient, scheduler, slug="saint", preferred_time=dt.time(8, 0))
    sessions = list(Session.objects.filter(course=course).order_by("number"))
    assert len(sessions) == 50
    for a, b in itertools.pairwise(sessions):
        if local_of(a.start).date() == local_of(b.start).date():
            assert b.start - a.start >= dt.timedelta(minutes=50)


def test_dry_run_returns_the_same_booking_and_writes_nothing(site, scheduler, patient):
    make_protocol(TMS_36, "tms")
    preview = course_enrol(
        patient=patient.pk,
        protocol="tms",
        site=patient.site_id,
        by=scheduler,
        start_date=MONDAY,
        preferred_time=NINE,
        now=NOW,
        dry_run=True,
    )
    assert Course.objects.count() == 0 and Session.objects.count() == 0
    assert ResourceHold.objects.count() == 0
    planned = [(s.start, [h.resource_id for h in preview.holds_of(s)]) for s in preview.sessions]
    course = enrol(patient, scheduler)
    booked = [
        (s.start, [h.resource_id for h in s.holds.all()])
        for s in Session.objects.filter(course=course).prefetch_related("holds")
    ]
    assert planned == booked and len(planned) == 36


def test_unplaceable_course_books_nothing_and_names_the_sessions(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    chair = one_chair(site)
    other = make_patient(site, "MRN-002")
    make_protocol(
        {**TMS_10, "phases": [{"name": "x", "sessions": 1, "sessions_per_week": 1}]}, "one"
    )
    blocker = enrol(other, scheduler, slug="one", start_date=dt.date(2026, 3, 9))
    # The only chair is taken for seven weeks from the course's second week.
    start, end = local(NY, dt.date(2026, 3, 9), "00:00"), local(NY, dt.date(2026, 4, 27), "00:00")
    ResourceHold.objects.filter(session__course=blocker).update(start=start, end=end)
    Session.objects.filter(course=blocker).update(start=start, end=end, observation_end=end)
    with pytest.raises(Conflict) as err:
        enrol(patient, scheduler)
    assert err.value.code == "unplaceable"
    numbers = [s["number"] for s in err.value.details["sessions"]]
    assert numbers[0] == 6 and "session 6" in err.value.message
    assert "no free TMS chair" in err.value.details["sessions"][0]["reason"]
    assert Session.objects.filter(patient=patient).count() == 0
    assert Course.objects.filter(patient=patient).count() == 0
    assert ResourceHold.objects.filter(resource=chair).count() == 1


def test_site_without_the_resource_kind_is_unplaceable(site, scheduler, patient):
    site.rems_certified = True
    site.save()
    Resource.objects.filter(site=site, kind="monitoring_chair").update(active=False)
    make_protocol(ESK, "esk")
    with pytest.raises(Conflict) as err:
        enrol(patient, scheduler, slug="esk")
    assert err.value.code == "unplaceable" and "esketamine monitoring chair" in err.value.message
    assert Course.objects.count() == 0


def test_exact_booking_of_a_taken_slot_is_slot_taken_naming_the_session(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    one_chair(site)
    other = make_patient(site, "MRN-002")
    first = enrol(other, scheduler)
    taken = Session.objects.filter(course=first, number=1).get()
    with pytest.raises(Conflict) as err:
        enrol(patient, scheduler, exact=True)
    assert err.value.code == "slot_taken"
    assert f"session {taken.pk}" in err.value.message
    assert Course.objects.filter(patient=patient).count() == 0


def test_booking_takes_a_constant_number_of_queries(
    site, scheduler, patient, django_assert_max_num_queries
):
    """Booking reads everything it needs in a fixed number of queries and writes in bulk, so
    the count depends neither on the course length nor on what is already booked."""
    make_protocol(TMS_36, "tms")
    make_protocol(TMS_10, "tms10")
    # A cold user object: the role and site-membership lookups are counted too, and the
    # conditional UPDATE marking the protocol version used (Protocol.first_used_at).
    with django_assert_max_num_queries(16):
        enrol(patient, scheduler)
    assert Session.objects.filter(patient=patient).count() == 36
    counts = {}
    for n, (slug, start) in enumerate(
        [("tms10", dt.date(2026, 6, 1)), ("tms", dt.date(2026, 9, 7)), ("tms10", MONDAY)]
    ):
        other = make_patient(site, f"MRN-Q{n}")
        with CaptureQueriesContext(connection) as ctx:
            enrol(other, scheduler, slug=slug, start_date=start)
        counts[(slug, start)] = len(ctx.captured_queries)
    assert len(set(counts.values())) == 1, counts
    assert Session.objects.count() == 36 + 10 + 36 + 10


TMS_WITH_DEVICE = {
    **TMS_10,
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair", "tms_device"]},
}


def test_a_device_is_held_only_where_the_site_models_devices(site, scheduler, patient):
    make_protocol(TMS_WITH_DEVICE, "tmsd")
    course = enrol(patient, scheduler, slug="tmsd")
    kinds = {h.resource.kind for h in ResourceHold.objects.filter(session__course=course)}
    assert kinds == {"tms_chair"}  # Riverside does not track devices
    device = Resource.objects.create(site=site, kind="tms_device", name="Coil A")
    other = make_patient(site, "MRN-D2")
    course = enrol(other, scheduler, slug="tmsd")
    holds = ResourceHold.objects.filter(session__course=course)
    assert {h.resource_id for h in holds if h.resource.kind == "tms_device"} == {device.pk}
    assert holds.count() == 20
    # Devices modelled but none active: nothing can be placed.
    device.active = False
    device.save()
    with pytest.raises(Conflict) as err:
        enrol(make_patient(site, "MRN-D3"), scheduler, slug="tmsd")
    assert err.value.code == "unplaceable" and "TMS device" in err.value.message
