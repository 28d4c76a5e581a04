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
    ).course


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


TMS_TAPER = {
    "modality": "tms",
    "phases": [
        {"name": "acute", "sessions": 10, "sessions_per_week": 5},
        {"name": "taper-3", "sessions": 3, "sessions_per_week": 3},
        {"name": "taper-1", "sessions": 1, "sessions_per_week": 1, "min_days_between": 3},
    ],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}


def _by_start(course):
    return list(Session.objects.filter(course=course, active=True).order_by("start"))


def test_a_missed_acute_session_extends_the_acute_phase_and_the_taper_stays_last(site, scheduler):
    course = book(patient(site, "M5"), scheduler, TMS_TAPER, "taper")
    before = _by_start(course)
    assert [s.phase for s in before[-4:]] == ["taper-3"] * 3 + ["taper-1"]
    first = Session.objects.get(course=course, number=1)
    change = session_cancel(session_id=first.pk, reason="unwell", by=scheduler, now=NOW)
    assert [m.session.number for m in change.moved if m.added] == [11]
    after = _by_start(course)
    assert [s.phase for s in after] == ["acute"] * 10 + ["taper-3"] * 3 + ["taper-1"]
    assert [s.number for s in after] == list(range(2, 16))
    assert after[9].status_reason == "make-up for session 1"
    # The taper moved later (one treatment day), keeping its own spacing.
    assert after[-1].start > before[-1].start


def test_a_protocol_may_still_put_the_make_up_after_the_last_session(site, scheduler):
    spec = {**TMS_TAPER, "makeup_place": "end_of_course"}
    course = book(patient(site, "M6"), scheduler, spec, "taper-end")
    first = Session.objects.get(course=course, number=1)
    change = session_cancel(session_id=first.pk, reason="unwell", by=scheduler, now=NOW)
    assert [m.session.number for m in change.moved] == [15]
    last = _by_start(course)[-1]
    assert (last.number, last.phase) == (15, "acute")


def test_the_library_tms_protocols_say_where_the_make_up_goes():
    import json
    from pathlib import Path

    library = Path(__file__).resolve().parents[2] / "protocols" / "library"
    for path in library.glob("tms-*.json"):
        spec = json.loads(path.read_text())["spec"]
        assert spec["makeup_place"] == "end_of_phase", path.name
