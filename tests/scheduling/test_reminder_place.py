"""The day-before reminder names the place as the patient's calendar feed does (issue 16, point
8): the site's patient-facing place text, else its address, else "The clinic"; never the site's
own name, which can say what the clinic treats ("Riverside Psychiatry")."""

from __future__ import annotations

import time_machine
from django.core import mail

from scheduling.feed_selectors import site_patient_place
from scheduling.reminders import reminder_send
from tests.support.clock import local
from tests.support.factories import make_course, make_session


def _remind(site, patient, scheduler) -> str:
    patient.email = "pat@example.org"
    patient.save()
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    session = make_session(course=course, start=local(site, "2026-03-10", "09:00"))
    with time_machine.travel(local(site, "2026-03-09", "10:00"), tick=False):
        reminder_send(session_id=session.pk)
    assert len(mail.outbox) == 1
    return f"{mail.outbox[0].subject}\n{mail.outbox[0].body}"


def test_reminder_uses_the_feeds_place_text_not_the_site_name(site, patient, scheduler):
    site.name = "Riverside Psychiatry"
    site.address = "200 River Road"
    site.patient_location_text = "Riverside Clinic, Suite 2"
    site.save()
    text = _remind(site, patient, scheduler)
    assert "at Riverside Clinic, Suite 2." in text
    assert "Psychiatry" not in text and "psychiatr" not in text.lower()
    assert site_patient_place(site) == "Riverside Clinic, Suite 2"


def test_reminder_without_place_text_gives_the_address_like_the_feed(site, patient, scheduler):
    site.name = "Riverside Psychiatry"
    site.address = "200 River Road\nFloor 2"
    site.patient_location_text = ""
    site.save()
    text = _remind(site, patient, scheduler)
    assert "at 200 River Road Floor 2." in text and "Psychiatry" not in text
