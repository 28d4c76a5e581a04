"""The missed-session rule and the REMS gate come from the protocol spec, not the modality."""

from __future__ import annotations

import pytest

from clinic.errors import DomainError
from scheduling.enrolment import course_enrol
from scheduling.models import Session
from scheduling.session_cancellation import session_cancel
from tests.scheduling.booking_support import ECT_12, MONDAY, NINE, NOW, TMS_10, patient, protocol


def book(pat, by, spec, slug):
    protocol(spec, slug)
    return course_enrol(
        patient=pat.pk,
        protocol=slug,
        site=pat.site_id,
        start_date=MONDAY,
        preferred_time=NINE,
        by=by,
        now=NOW,
    )


def test_a_tms_protocol_may_say_continue_and_then_no_make_up_is_added(site, scheduler):
    course = book(patient(site, "M1"), scheduler, {**TMS_10, "missed_session": "continue"}, "t")
    first = Session.objects.get(course=course, number=1)
    change = session_cancel(session_id=first.pk, reason="unwell", by=scheduler, now=NOW)
    assert change.moved == []
    assert Session.objects.filter(course=course).count() == 10


def test_an_ect_protocol_with_append_makeup_gets_a_make_up(site, scheduler):
    course = book(
        patient(site, "M2"), scheduler, {**ECT_12, "missed_session": "append_makeup"}, "e"
    )
    first = Session.objects.get(course=course, number=1)
    change = session_cancel(session_id=first.pk, reason="unwell", by=scheduler, now=NOW)
    assert [m.added for m in change.moved] == [True]
    assert Session.objects.filter(course=course).count() == 13


def test_the_built_in_default_still_appends_a_tms_make_up(site, scheduler):
    course = book(patient(site, "M3"), scheduler, TMS_10, "t10")
    first = Session.objects.get(course=course, number=1)
    change = session_cancel(session_id=first.pk, reason="unwell", by=scheduler, now=NOW)
    assert [m.session.number for m in change.moved] == [11]


def test_any_protocol_that_requires_rems_is_gated(site, scheduler):
    not_enrolled = patient(site, "M4", rems=False)
    with pytest.raises(DomainError) as err:
        book(not_enrolled, scheduler, {**TMS_10, "requires_rems": True}, "tr")
    assert err.value.code == "rems_patient_not_enrolled"
