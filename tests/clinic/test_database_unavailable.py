"""Bounded waits and a clear answer when the database is in trouble.

The 503 answer is tested on either database by making the first query fail; the timeouts and
the health checks are tested on PostgreSQL, where they are real: a second connection holds a
row lock the booking needs, and pg_terminate_backend kills the connection the service keeps
between requests.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, connections
from werkzeug.test import Client as WsgiClient

from clinic.models import Patient
from scheduling.models import Course
from tests.conftest import ApiClient
from tests.scheduling.booking_support import TMS_10, one_chair
from tests.support.factories import make_protocol


def test_a_database_error_is_503_json_with_retry_after(scheduler, api_as, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("clinic.api.accounts.site_list_for_user", down)
    response = api_as(scheduler).get("/api/v1/me")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "nothing was changed" in response.json()["message"]
    assert response["Retry-After"] == str(settings.DB_RETRY_AFTER_SECONDS)


def test_timeouts_and_health_checks_are_configured():
    db = settings.DATABASES["default"]
    assert db["CONN_HEALTH_CHECKS"] is True
    assert settings.DB_CONNECT_TIMEOUT > 0
    assert 0 < settings.DB_LOCK_TIMEOUT_MS < settings.DB_STATEMENT_TIMEOUT_MS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_booking_blocked_by_another_transactions_lock_answers_within_the_lock_timeout(
    site, scheduler, patient
):
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'lock_timeout'")
        assert int(cursor.fetchone()[0]) == settings.DB_LOCK_TIMEOUT_MS
    one_chair(site)
    make_protocol(TMS_10, "ten")
    client = ApiClient(scheduler)
    locked = threading.Event()
    release = threading.Event()

    def hold_the_patient_row() -> None:
        # Another transaction (an edit of the patient's record, say) holding the row.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    "SELECT id FROM clinic_patient WHERE id = %s FOR UPDATE", [patient.pk]
                )
                locked.set()
                release.wait(timeout=60)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    holder = threading.Thread(target=hold_the_patient_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        response = client.post(
            "courses",
            {
                "patient_id": patient.pk,
                "protocol": "ten",
                "site_id": site.pk,
                "start_date": "2099-03-02",
                "preferred_time": "09:00",
            },
        )
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"]
    assert waited < settings.DB_LOCK_TIMEOUT_MS / 1000 + 3
    assert not Course.objects.filter(patient=patient).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_connection_is_replaced_on_the_next_request(scheduler, patient):
    # Through the whole WSGI stack with Django's request signals (the test client turns off
    # the per-request connection handling that the health check runs from).
    client = ApiClient(scheduler)
    app = WsgiClient(WSGIHandler())
    base = "http://testserver"
    headers = client.headers

    first = app.get(f"/api/v1/patients/{patient.pk}", base_url=base, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert connection.connection is not None, "the connection should be kept between requests"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        killer.close()
    time.sleep(0.2)

    second = app.get(f"/api/v1/patients/{patient.pk}", base_url=base, headers=headers)
    assert second.status_code == 200, second.get_data(as_text=True)
    assert Patient.objects.filter(pk=patient.pk).exists()
