"""A PHQ-9 item 9 above 0 entered by staff takes the patient's path (issue 15 point 6): the
urgent alert, the email to the site's clinicians on commit, the safety prompt on the page at
once; and every such email links with an absolute address (SITE_URL), never "/alerts/"."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django_q.conf import Conf

from charting.models import Alert
from charting.outcomes import scale_record
from charting.self_report import self_report_answer
from clinic.submissions import new_key
from tests.charting.self_report_support import day_of, phq9, session, tms_course
from tests.pages.test_page_roles import client_for


@pytest.fixture
def course(patient, scheduler):
    return tms_course(patient, scheduler)


@pytest.fixture
def mailed(clinician, monkeypatch, settings):
    """The worker runs in-process (django-q2 sync mode); the clinician has an address."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.SITE_URL = "https://clinic.example.org"
    clinician.email = "carl@clinic.example"
    clinician.save()
    return clinician


def _nurse_enters_item9(course, nurse, value=2):
    number = 1
    return scale_record(
        course=course,
        scale="phq9",
        items={**phq9(8), "item9": value},
        administered_at=session(course, number).start,
        session=session(course, number),
        by=nurse,
        now=session(course, number).end,
    )


def test_a_nurse_entered_item9_raises_the_urgent_alert_and_emails_on_commit(
    course, nurse, mailed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = _nurse_enters_item9(course, nurse)
    alert = Alert.objects.get(kind=Alert.Kind.SAFETY)
    assert alert.scale_id == row.pk and alert.course_id == course.pk
    assert "more than half the days" in alert.message
    assert "Same-day safety assessment needed" in alert.message
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carl@clinic.example"] and "Urgent" in message.subject
    assert "https://clinic.example.org/alerts/" in message.body
    assert course.patient.family_name not in message.body


def test_a_rolled_back_staff_entry_sends_no_email(course, nurse, mailed):
    with pytest.raises(RuntimeError), transaction.atomic():
        _nurse_enters_item9(course, nurse)
        raise RuntimeError
    assert mail.outbox == [] and not Alert.objects.exists()


def test_the_patients_alert_email_links_absolutely_too(
    course, mailed, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://clinic.example.org/"  # a trailing slash is not doubled
    with django_capture_on_commit_callbacks(execute=True):
        self_report_answer(
            course=course,
            scale="phq9",
            session_number=1,
            item="item9",
            value=1,
            now=day_of(course, 1, "07:00"),
        )
    (message,) = mail.outbox
    assert "https://clinic.example.org/alerts/" in message.body
    assert "//alerts/" not in message.body.replace("https://clinic.example.org/alerts/", "")


def test_without_site_url_the_email_still_goes_with_no_relative_link(
    course, nurse, mailed, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        _nurse_enters_item9(course, nurse)
    (message,) = mail.outbox
    assert "/alerts/" not in message.body
    assert "alerts queue" in message.body


def test_the_outcomes_page_shows_the_safety_prompt_at_once(course, nurse, patient):
    client = client_for(nurse)
    at = session(course, 1).end
    url = f"/courses/{course.pk}/outcomes/"
    with time_machine.travel(at, tick=False):
        answers = {key: str(value) for key, value in {**phq9(8), "item9": 3}.items()}
        response = client.post(
            url,
            {
                "form_key": new_key(),
                "scale": "phq9",
                "administered_at": at.astimezone(patient.site.zone).strftime("%Y-%m-%dT%H:%M"),
                **answers,
            },
            follow=True,
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="safety-prompt"' in html
    prompt = html.split('class="safety-prompt"', 1)[1].split("</section>", 1)[0]
    assert 'role="alert"' in html.split('class="safety-prompt"', 1)[0][-200:] + prompt
    assert "nearly every day" in prompt.lower()
    assert "Same-day safety assessment" in prompt
    assert "988" in prompt  # the site's crisis resources, to give the patient now
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY, course=course).count() == 1
