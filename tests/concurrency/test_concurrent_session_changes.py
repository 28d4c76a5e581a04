"""A check-in and a cancellation of the same session at the same moment: one of them wins, the
other gets a clean 409; neither dies on a deadlock (a 500). Both lock the course row before
the session row, in the order course_discontinue uses."""

from __future__ import annotations

import pytest

from scheduling.enrolment import course_enrol
from scheduling.models import Session
from scheduling.session_cancellation import session_cancel
from scheduling.session_lifecycle import session_check_in
from tests.concurrency.harness import race, warm
from tests.scheduling.booking_support import MONDAY, NINE, NOW, TMS_10
from tests.support.factories import make_protocol

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_check_in_racing_a_cancellation_never_deadlocks(site, scheduler, nurse, patient):
    make_protocol(TMS_10, "tms")
    course = course_enrol(
        patient=patient.pk,
        protocol="tms",
        site=site.pk,
        start_date=MONDAY,
        preferred_time=NINE,
        by=scheduler,
        now=NOW,
    ).course
    warm(scheduler)
    warm(nurse)
    sessions = list(Session.objects.filter(course=course).order_by("number"))[:8]
    for session in sessions:

        def act(i: int, pk: int = session.pk) -> str:
            if i == 0:
                session_check_in(session_id=pk, by=nurse, now=NOW)
                return "checked_in"
            session_cancel(session_id=pk, reason="unwell", by=scheduler, now=NOW)
            return "cancelled"

        results = race(2, act)
        assert all(r[0] in ("ok", 409) for r in results), results
        assert [r for r in results if r[0] == "ok"], results
