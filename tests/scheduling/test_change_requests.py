"""A patient's "ask to change this appointment" (scheduling/change_requests.py): the request
is recorded, never moves the session, one open request per session, only the patient's own
upcoming scheduled sessions; staff (scheduler/clinician) close it, a nurse may not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.errors import Conflict, Forbidden, InvalidInput, NotFound
from scheduling.change_requests import (
    change_request_create,
    change_request_handle,
    change_request_queue,
    preferred_days_text,
)
from scheduling.error_codes import (
    ERR_CHANGE_REQUEST_CLOSED,
    ERR_CHANGE_REQUEST_EXISTS,
    ERR_CHANGE_REQUEST_NOT_FOUND,
    ERR_SESSION_NOT_CHANGEABLE,
)
from scheduling.models import ChangeRequest, Session
from tests.scheduling.feed_support import add_session, esketamine_course, make_feed
from tests.support.factories import make_patient, make_site, make_user

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def booked(site, scheduler, patient):
    course = esketamine_course(patient, scheduler)
    upcoming = add_session(course, site, "2026-03-05")
    past = add_session(course, site, "2026-03-02", status=Session.Status.COMPLETED)
    feed, _ = make_feed("patient", site, patient=patient)
    return {"feed": feed, "upcoming": upcoming, "past": past}


def ask(booked, session=None, **kw):
    return change_request_create(
        patient_feed=booked["feed"],
        session_id=(session or booked["upcoming"]).pk,
        now=NOW,
        **kw,
    )


def test_create_records_request_and_moves_nothing(booked):
    session = booked["upcoming"]
    before = (session.start, session.status)
    made = ask(booked, reason="  work   shift ", preferred_days="Monday, Tuesday")
    assert made.status == ChangeRequest.Status.OPEN
    assert (made.reason, made.preferred_days) == ("work shift", "Monday, Tuesday")
    assert made.site_id == session.site_id and made.patient_id == session.patient_id
    assert made.history.count() == 1
    session.refresh_from_db()
    assert (session.start, session.status) == before


def test_second_open_request_for_the_same_session_is_already_asked(booked):
    ask(booked)
    with pytest.raises(Conflict) as refused:
        ask(booked, reason="again")
    assert refused.value.code == ERR_CHANGE_REQUEST_EXISTS
    assert "already asked" in refused.value.message
    assert ChangeRequest.objects.count() == 1


def test_other_patients_session_is_not_found(booked, site, scheduler):
    other = make_patient(site, "MRN-002", family="Other")
    theirs = add_session(esketamine_course(other, scheduler), site, "2026-03-06")
    with pytest.raises(NotFound):
        ask(booked, session=theirs)
    assert not ChangeRequest.objects.exists()


def test_companion_link_cannot_ask(booked, site, patient):
    companion, _ = make_feed("companion", site, patient=patient)
    with pytest.raises(NotFound):
        change_request_create(patient_feed=companion, session_id=booked["upcoming"].pk, now=NOW)


def test_past_or_cancelled_session_is_refused(booked):
    with pytest.raises(InvalidInput) as refused:
        ask(booked, session=booked["past"])
    assert refused.value.code == ERR_SESSION_NOT_CHANGEABLE
    Session.objects.filter(pk=booked["upcoming"].pk).update(status=Session.Status.CANCELLED)
    with pytest.raises(InvalidInput):
        ask(booked)


def test_scheduler_handles_with_note_then_patient_may_ask_again(booked, scheduler):
    made = ask(booked)
    done = change_request_handle(
        request_id=made.pk, by=scheduler, outcome="handled", note="moved to Friday", now=NOW
    )
    assert (done.status, done.handled_by, done.staff_note) == (
        "handled",
        scheduler,
        "moved to Friday",
    )
    assert done.handled_at == NOW
    with pytest.raises(Conflict) as again:
        change_request_handle(request_id=made.pk, by=scheduler, outcome="declined", now=NOW)
    assert again.value.code == ERR_CHANGE_REQUEST_CLOSED
    assert ask(booked).status == "open"  # a new ask after the first was answered


def test_clinician_declines(booked, clinician):
    made = ask(booked)
    assert change_request_handle(request_id=made.pk, by=clinician, outcome="declined").status == (
        "declined"
    )


def test_nurse_may_not_handle(booked, nurse):
    made = ask(booked)
    with pytest.raises(Forbidden):
        change_request_handle(request_id=made.pk, by=nurse, outcome="handled")
    assert ChangeRequest.objects.get().status == "open"


def test_other_sites_staff_get_not_found_and_an_empty_queue(booked):
    elsewhere = make_site("hilltop", tz="Europe/London", country="GB")
    outsider = make_user("olga", "scheduler", elsewhere)
    made = ask(booked)
    with pytest.raises(NotFound) as missing:
        change_request_handle(request_id=made.pk, by=outsider, outcome="handled")
    assert missing.value.code == ERR_CHANGE_REQUEST_NOT_FOUND
    assert change_request_queue(user=outsider) == []


def test_unknown_outcome_is_invalid(booked, scheduler):
    made = ask(booked)
    with pytest.raises(InvalidInput):
        change_request_handle(request_id=made.pk, by=scheduler, outcome="moved")


def test_queue_is_one_query_for_any_number_of_requests(booked, site, scheduler, nurse):
    ask(booked)
    for n in range(3):
        someone = make_patient(site, f"MRN-1{n}", family=f"Queue{n}")
        feed, _ = make_feed("patient", site, patient=someone)
        # Apart on the one chair: PostgreSQL refuses overlapping holds.
        session = add_session(
            esketamine_course(someone, scheduler), site, "2026-03-06", f"{12 + 3 * n}:00"
        )
        change_request_create(patient_feed=feed, session_id=session.pk, now=NOW)
    nurse.refresh_from_db()
    change_request_queue(user=nurse)  # warm the user's role and site caches
    with CaptureQueriesContext(connection) as queries:
        rows = change_request_queue(user=nurse)
        [(r.patient.mrn, r.session.start, r.site.timezone) for r in rows]
    assert len(rows) == 4
    assert len(queries) == 1


def test_preferred_days_text_orders_days_and_keeps_the_note():
    assert preferred_days_text(weekdays=["Thursday", "Monday", "Funday"], text=" mornings ") == (
        "Monday, Thursday; mornings"
    )
    assert preferred_days_text(weekdays=[], text="") == ""
