"""`POST /courses` with an `Idempotency-Key`: a client that lost the answer (a dropped
connection) sends the same request again and gets the first answer, 201 and the same course,
instead of 409 `overlapping_course` for the booking it made itself. Keys belong to their user,
are kept 24 hours (then purged), stored only with a booking that was made, and refuse a
different request under the same key."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.idempotency import KEEP_FOR, idempotency_keys_purge
from clinic.models import IdempotencyKey
from scheduling.models import Course
from tests.scheduling.booking_support import MONDAY, NOW, TMS_10
from tests.support.factories import make_patient, make_protocol, make_user

KEY = "3f2b8c1e-booking-retry-0001"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _tms(db):
    make_protocol(TMS_10, "tms")


def body(patient, **kw):
    return {
        "patient_id": patient.pk,
        "protocol": "tms",
        "site_id": patient.site_id,
        "start_date": MONDAY.isoformat(),
        "preferred_time": "09:00",
        **kw,
    }


def post(client, data, key=KEY):
    headers = {**client.headers, "Idempotency-Key": key} if key is not None else client.headers
    return client.client.post(
        "/api/v1/courses", data, content_type="application/json", headers=headers
    )


def test_a_retry_with_the_same_key_returns_the_first_answer(scheduler, patient, api_as):
    client = api_as(scheduler)
    first = post(client, body(patient))
    assert first.status_code == 201, first.content
    again = post(client, body(patient))
    assert again.status_code == 201, again.content
    assert again.json() == first.json()
    assert Course.objects.count() == 1
    # Without a key, the same request is a second booking attempt.
    assert post(client, body(patient), key=None).json()["code"] == "overlapping_course"


def test_the_same_key_for_another_request_is_refused(scheduler, patient, api_as, site):
    client = api_as(scheduler)
    assert post(client, body(patient)).status_code == 201
    other = make_patient(site, mrn="MRN-OTHER")
    response = post(client, body(other))
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Course.objects.count() == 1


def test_keys_belong_to_their_user(scheduler, patient, api_as, site):
    assert post(api_as(scheduler), body(patient)).status_code == 201
    colleague = make_user("sam-colleague", "scheduler", site)
    other = make_patient(site, mrn="MRN-OTHER")
    assert post(api_as(colleague), body(other)).status_code == 201
    assert Course.objects.count() == 2


def test_a_refused_booking_keeps_no_key(scheduler, patient, api_as):
    client = api_as(scheduler)
    refused = post(client, body(patient, protocol="no-such-protocol"))
    assert refused.status_code in (404, 422)
    assert not IdempotencyKey.objects.exists()
    assert post(client, body(patient)).status_code == 201


def test_a_dry_run_keeps_no_key(scheduler, patient, api_as):
    client = api_as(scheduler)
    assert post(client, body(patient, dry_run=True)).status_code == 200
    assert not IdempotencyKey.objects.exists()
    assert post(client, body(patient)).status_code == 201


@pytest.mark.parametrize("bad", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_422(scheduler, patient, api_as, bad):
    response = post(api_as(scheduler), body(patient), key=bad)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_invalid"
    assert Course.objects.count() == 0


def test_keys_are_kept_24_hours_then_purged(scheduler, patient, api_as):
    client = api_as(scheduler)
    assert post(client, body(patient)).status_code == 201
    assert idempotency_keys_purge(now=NOW + KEEP_FOR - dt.timedelta(minutes=1)) == 0
    assert IdempotencyKey.objects.count() == 1
    assert idempotency_keys_purge(now=NOW + KEEP_FOR + dt.timedelta(minutes=1)) >= 1
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_not_yet_purged_does_not_replay(scheduler, patient, api_as):
    client = api_as(scheduler)
    assert post(client, body(patient)).status_code == 201
    with time_machine.travel(NOW + KEEP_FOR + dt.timedelta(hours=1), tick=False):
        response = post(client, body(patient))
    assert response.status_code == 409
    assert response.json()["code"] == "overlapping_course"


def test_the_hourly_purge_task_deletes_old_api_and_form_keys(scheduler, patient, api_as):
    from django_q.tasks import async_task

    from clinic.models import FormSubmission

    assert post(api_as(scheduler), body(patient)).status_code == 201
    FormSubmission.objects.create(key="k" * 20, user=scheduler, created_at=NOW)
    with time_machine.travel(NOW + KEEP_FOR + dt.timedelta(hours=1), tick=False):
        async_task("clinic.tasks.purge_idempotency_keys")  # sync in the test settings
    assert not IdempotencyKey.objects.exists()
    assert not FormSubmission.objects.exists()
