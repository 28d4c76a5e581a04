"""The early-improvement review's "add sessions" and "stop" decisions open the course page's
extend and discontinue forms, prefilled, applied there through scheduling's services."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from charting.self_report import self_report_submit
from tests.charting.self_report_support import complete, day_of, phq9, tms_course

pytestmark = pytest.mark.django_db
KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture
def reviewed(patient, scheduler, nurse):
    course = tms_course(patient, scheduler)
    complete(course, 10, by=nurse)
    for number, total in ((1, 20), (10, 18)):
        self_report_submit(
            course=course,
            scale="phq9",
            session_number=number,
            answers=phq9(total),
            now=day_of(course, number),
        )
    return course


def _decide(client: Client, course, decision: str):
    page = client.get(f"/courses/{course.pk}/outcomes/").content.decode()
    key = KEY.findall(page)[0]
    return client.post(
        f"/courses/{course.pk}/early-review/decision/",
        {"decision": decision, "note": "little change", "form_key": key},
    )


@pytest.mark.parametrize(
    ("decision", "wanted"),
    [("extend", r"\?action=extend&phase=\w+&count=5#extend$"), ("stop", r"action=discontinue")],
)
def test_the_decision_opens_the_prefilled_form(reviewed, clinician, decision, wanted):
    client = Client()
    client.force_login(clinician)
    response = _decide(client, reviewed, decision)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/courses/{reviewed.pk}/")
    assert re.search(wanted, response["Location"])
    form = client.get(response["Location"]).content.decode()
    if decision == "extend":
        assert 'name="count" value="5"' in form
    else:
        assert "Early-improvement review: little change" in form
