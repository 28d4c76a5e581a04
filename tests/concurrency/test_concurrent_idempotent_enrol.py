"""One booking sent four times at once with the same `Idempotency-Key` (a client retrying
while the first attempt is still running): one course is booked and every send answers 201
with that course, byte for byte; none gets 409 `overlapping_course`."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from scheduling.models import Course
from tests.conftest import ApiClient
from tests.scheduling.booking_support import MONDAY, NOW, TMS_10
from tests.support.factories import make_protocol

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 4


def test_simultaneous_sends_with_one_key_book_once_and_answer_alike(site, scheduler, patient):
    make_protocol(TMS_10, "tms")
    client = ApiClient(scheduler)
    body = {
        "patient_id": patient.pk,
        "protocol": "tms",
        "site_id": site.pk,
        "start_date": MONDAY.isoformat(),
        "preferred_time": "09:00",
    }
    headers = {**client.headers, "Idempotency-Key": "same-key-0123456789"}
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, bytes]] = [(0, b"")] * THREADS

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.client.__class__().post(
                "/api/v1/courses", body, content_type="application/json", headers=headers
            )
            answers[i] = (response.status_code, response.content)
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert {status for status, _ in answers} == {201}, answers
    assert len({content for _, content in answers}) == 1
    assert Course.objects.count() == 1
