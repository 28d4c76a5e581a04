"""Races on charting rows (PostgreSQL only: SQLite serialises writers, so there is no race).

Each thread has its own connection; a Barrier releases them together so that their existence
checks all start before any commit. What stops the losers: the session row lock taken by
`session_screening_submit` (backed by the partial unique constraint
`one_session_screening_per_session`) and the row lock taken by `monitoring_form_submit`.
"""

from __future__ import annotations

from collections import Counter

import pytest

from charting.form_templates import template_current
from charting.models import MonitoringFormItem, ScreeningResponse
from charting.monitoring_forms import monitoring_form_queue, monitoring_form_submit
from charting.observations import observation_open
from charting.screening import session_screening_submit
from tests.charting.helpers import safe_answers
from tests.concurrency.harness import race, warm
from tests.support.clock import local

THREADS = 8

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_simultaneous_session_screenings_one_wins(nurse, esk):
    _, session = esk
    template_current("esketamine-pre-dose")
    warm(nurse)

    def submit(_i: int) -> int:
        return session_screening_submit(
            session=session, answers=safe_answers("esketamine-pre-dose"), by=nurse
        ).pk

    results = race(THREADS, submit)
    assert Counter(r[0] for r in results) == {"ok": 1, 409: THREADS - 1}, results
    assert {r[1] for r in results if r[0] == 409} == {"screening_exists"}
    assert ScreeningResponse.objects.count() == 1


def test_simultaneous_monitoring_form_submissions_one_wins(nurse, site, esk):
    _, session = esk
    template_current("esketamine-post-dose")
    session.status = "completed"
    session.started_at = local(site, "2026-03-09", "09:00")
    session.save()
    observation_open(session=session, by=nurse, now=session.started_at)
    item = monitoring_form_queue(session=session, by=nurse, now=session.started_at)
    assert item is not None  # the protocol has a monitoring form
    warm(nurse)

    def submit(i: int) -> str:
        return monitoring_form_submit(
            item=item, how="online", reference=f"REF-{i}", by=nurse
        ).reference

    results = race(THREADS, submit)
    assert Counter(r[0] for r in results) == {"ok": 1, 409: THREADS - 1}, results
    winner = next(r[1] for r in results if r[0] == "ok")
    assert MonitoringFormItem.objects.get().reference == winner
