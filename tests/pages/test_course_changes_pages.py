"""The course page's changes (issue 18 point 2): prescriber chosen at booking and changed with
history, extend and discontinue previewed then confirmed, and refused for a nurse."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from scheduling.models import Course, Session
from tests.scheduling.booking_support import MONDAY, NOW, NY, TMS_10, book
from tests.support.clock import local
from tests.support.factories import make_protocol, make_user

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="form_key" value="([^"]+)"')


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _key(response) -> str:
    return KEY.findall(response.content.decode())[0]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(NY, MONDAY, "08:50"), tick=False):
        yield


def test_a_clinician_booking_is_their_own_prescriber_by_default(site, clinician, patient):
    make_protocol(TMS_10, "tms")
    client = _client(clinician)
    page = client.get("/book/").content.decode()
    assert re.search(rf'<option value="{clinician.pk}" selected>', page)


def test_a_scheduler_must_choose_a_prescriber(site, scheduler, clinician, patient):
    tms = make_protocol(TMS_10, "tms")
    client = _client(scheduler)
    data = {
        "site": site.pk,
        "patient": patient.pk,
        "protocol": tms.pk,
        "start_date": "2026-03-03",
        "preferred_time": "09:00",
    }
    with time_machine.travel(NOW, tick=False):
        refused = client.post("/book/", {**data, "preview": "1"})
        assert refused.status_code == 422
        preview = client.post("/book/", {**data, "prescriber": clinician.pk, "preview": "1"})
        key = _key(preview)
        done = client.post(
            "/book/", {**data, "prescriber": clinician.pk, "confirm": "1", "form_key": key}
        )
    assert done.status_code == 302
    course = Course.objects.get()
    assert course.prescriber == clinician
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "not recorded" not in page


def test_change_the_prescriber_and_see_the_history(site, scheduler, clinician, patient):
    dora = make_user("dora", "clinician", site)
    course = book(patient, scheduler, prescriber_id=clinician.pk)
    client = _client(clinician)
    key = _key(client.get(f"/courses/{course.pk}/"))
    response = client.post(
        f"/courses/{course.pk}/change/prescriber/",
        {"prescriber": dora.pk, "reason": "leave", "form_key": key},
        follow=True,
    )
    course.refresh_from_db()
    assert course.prescriber == dora
    history = response.content.decode()
    assert 'id="prescriber-history"' in history
    assert "leave" in history


def test_extend_is_previewed_then_confirmed(site, clinician, patient):
    course = book(patient, clinician)
    client = _client(clinician)
    page = client.get(f"/courses/{course.pk}/?action=extend&phase=acute&count=2")
    assert re.search(r'name="count" value="2"', page.content.decode())
    data = {"phase": "acute", "count": "2", "form_key": _key(page)}
    preview = client.post(f"/courses/{course.pk}/change/extend/", data)
    body = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="extend-preview"' in body and "Mon 16 Mar 2026" in body
    assert Session.objects.filter(course=course).count() == 10
    done = client.post(
        f"/courses/{course.pk}/change/extend/", {**data, "form_key": _key(preview), "confirm": "1"}
    )
    assert done.status_code == 302
    assert Session.objects.filter(course=course).count() == 12


def test_extend_refusal_is_shown_with_its_message(site, clinician, patient):
    course = book(patient, clinician)
    client = _client(clinician)
    key = _key(client.get(f"/courses/{course.pk}/"))
    response = client.post(
        f"/courses/{course.pk}/change/extend/", {"phase": "nope", "count": "2", "form_key": key}
    )
    assert response.status_code == 422


def test_discontinue_from_a_date_is_previewed_then_confirmed(site, clinician, patient):
    course = book(patient, clinician)
    client = _client(clinician)
    page = client.get(f"/courses/{course.pk}/?action=discontinue&reason=no+response")
    assert 'value="no response"' in page.content.decode()
    data = {"reason": "no response", "effective": "2026-03-12", "form_key": _key(page)}
    preview = client.post(f"/courses/{course.pk}/change/discontinue/", data)
    body = preview.content.decode()
    assert 'id="discontinue-cancelled"' in body and "Thu 12 Mar 2026" in body
    course.refresh_from_db()
    assert course.status == Course.Status.PLANNED
    done = client.post(
        f"/courses/{course.pk}/change/discontinue/",
        {**data, "form_key": _key(preview), "confirm": "1"},
    )
    assert done.status_code == 302
    statuses = dict(Session.objects.filter(course=course).values_list("number", "status"))
    assert statuses[8] == "scheduled" and statuses[9] == "cancelled"


def test_a_nurse_may_not_change_a_course(site, clinician, nurse, patient):
    course = book(patient, clinician)
    client = _client(nurse)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "/change/" not in page
    for action in ("prescriber", "extend", "discontinue"):
        response = client.post(f"/courses/{course.pk}/change/{action}/", {"reason": "x"})
        assert response.status_code == 403
    assert Course.objects.get().status == Course.Status.PLANNED
