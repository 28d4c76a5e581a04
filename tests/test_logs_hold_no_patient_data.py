"""No patient data in logs: every log record written during a full booking-and-charting run,
through the API and including its errors, is searched for the demo patients' names, dates of
birth, MRNs and a free-text answer. Names go in a POST body when searching (never in a URL, so
access and proxy logs cannot hold them either: docs/deployment.md, "Logs")."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from clinic.models import Site
from demo import clinic as demo_clinic
from scheduling.models import Course, Session

NY = ZoneInfo("America/New_York")
WEDNESDAY = dt.datetime(2026, 3, 11, 9, 50, tzinfo=NY)
NOTE = "feels calm, mentions her sister Marguerite"


def _secrets() -> list[str]:
    out = [NOTE, "Marguerite"]
    for p in demo_clinic.PATIENTS:
        out += [p.given_name, p.family_name, p.mrn, p.date_of_birth.isoformat()]
        out += [p.date_of_birth.strftime("%d/%m/%Y"), p.date_of_birth.strftime("%m/%d/%Y")]
    # "Morgan" is both a given and a family name; every entry is searched case-insensitively.
    return sorted({s.lower() for s in out})


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.getMessage()}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.texts.append(text)


@pytest.fixture
def captured():
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_booking_and_charting_run_logs_no_patient_data(db, time_machine, captured):
    time_machine.move_to(WEDNESDAY, tick=False)
    for command in ("load_protocols", "load_form_templates"):
        call_command(command, stdout=StringIO())
    call_command("seed_demo", force=True, stdout=StringIO(), stderr=StringIO())
    site = Site.objects.get(slug=demo_clinic.SITE_SLUG)

    def api(user: str) -> Client:
        return Client(headers={"Authorization": f"Bearer ict_demo-{user}"})

    scheduler, nurse, clinician = api("scheduler"), api("nurse"), api("clinician")
    json = "application/json"

    # Search by name, find, book a course, and a few refusals along the way.
    found = scheduler.post(
        "/api/v1/patients/search", {"q": "Taylor Schmidt"}, content_type=json
    ).json()["items"]
    assert len(found) == 1
    assert scheduler.get("/api/v1/patients", {"q": "Taylor"}).status_code == 422
    assert scheduler.get("/api/v1/patients/999999").status_code == 404
    booked = scheduler.post(
        "/api/v1/courses",
        {
            "patient_id": found[0]["id"],
            "protocol": "tms-itbs",
            "site_id": site.pk,
            "start_date": "2026-03-16",
            "preferred_time": "11:00",
        },
        content_type=json,
    )
    assert booked.status_code == 201, booked.content
    again = scheduler.post(
        "/api/v1/courses",
        {
            "patient_id": found[0]["id"],
            "protocol": "tms-itbs",
            "site_id": site.pk,
            "start_date": "2026-03-16",
            "preferred_time": "11:00",
            "exact": True,
        },
        content_type=json,
    )
    assert again.status_code in (409, 422)

    # Chart today's TMS session of the course that is mid-way.
    course = Course.objects.get(patient__mrn="RIP-0006")
    session = course.sessions.get(start__date=dt.date(2026, 3, 11))
    assert (
        nurse.post(f"/api/v1/sessions/{session.pk}/check_in", content_type=json).status_code == 200
    )
    screening = nurse.post(
        f"/api/v1/charting/sessions/{session.pk}/screening",
        {
            "answers": {
                "new_metal_or_implant": False,
                "medication_changed": False,
                "missed_medication": False,
                "sleep_deprived": False,
                "alcohol_or_drugs": False,
                "seizure_or_fainting": False,
                "possible_pregnancy": False,
                "hearing_protection": True,
            }
        },
        content_type=json,
    )
    assert screening.status_code == 201, screening.content
    assert nurse.post(f"/api/v1/sessions/{session.pk}/start", content_type=json).status_code == 200
    record = nurse.get(f"/api/v1/charting/sessions/{session.pk}/observation").json()
    time_machine.move_to(WEDNESDAY + dt.timedelta(hours=1), tick=False)  # after the session
    entries = nurse.post(
        f"/api/v1/charting/observations/{record['id']}/entries",
        {
            "checkpoint": "post_session",
            "taken_at": Session.objects.get(pk=session.pk).end.isoformat(),
            "values": {
                "headache": True,
                "scalp_pain": 9,
                "hearing_change": False,
                "seizure": False,
                "syncope": False,
                "stopped_early": False,
                "notes": NOTE,
            },
        },
        content_type=json,
    )
    assert entries.status_code == 201, entries.content
    bad = nurse.post(
        f"/api/v1/charting/observations/{record['id']}/entries",
        {
            "checkpoint": "post_session",
            "taken_at": "2026-03-11T10:45:00-04:00",
            "values": {"scalp_pain": "Jordan Lee"},
        },
        content_type=json,
    )
    assert bad.status_code == 422
    # The esketamine alert of the demo, reviewed by the clinician.
    alerts = clinician.get("/api/v1/charting/alerts", {"site_id": site.pk}).json()
    assert alerts

    assert captured.texts, "the run should have logged something (4xx warnings at least)"
    leaks = [
        (secret, text) for text in captured.texts for secret in _secrets() if secret in text.lower()
    ]
    assert leaks == []
