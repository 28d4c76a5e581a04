"""The booking page keeps its own idempotency keys: each rendered booking form carries a fresh
hidden key, and the same confirmation sent twice (a double tap, a resend after a dropped
connection) books one course and answers "already booked" the second time."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from scheduling.models import Course
from tests.scheduling.booking_support import MONDAY, NOW, TMS_10
from tests.support.factories import make_protocol

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="form_key" value="([^"]+)"')


def test_each_rendered_booking_form_has_its_own_key_and_a_double_confirm_books_once(
    site, scheduler, clinician, patient
):
    tms = make_protocol(TMS_10, "tms")
    client = Client()
    client.force_login(scheduler)
    with time_machine.travel(NOW, tick=False):
        first = KEY.findall(client.get("/book/").content.decode())
        second = KEY.findall(client.get("/book/").content.decode())
        assert len(first) == 1 and len(second) == 1 and first != second
        data = {
            "site": site.pk,
            "patient": patient.pk,
            "protocol": tms.pk,
            "start_date": MONDAY.isoformat(),
            "preferred_time": "09:00",
            "prescriber": clinician.pk,
            "form_key": first[0],
        }
        preview = client.post("/book/", {**data, "preview": "1"})
        confirm_key = KEY.findall(preview.content.decode())
        assert confirm_key and confirm_key[0] != first[0]  # a fresh key for the new form
        confirm = {**data, "form_key": confirm_key[0], "confirm": "1"}
        assert client.post("/book/", confirm).status_code == 302
        again = client.post("/book/", confirm, follow=True)
    assert Course.objects.count() == 1
    assert "Already booked: the form was sent twice." in again.content.decode()
