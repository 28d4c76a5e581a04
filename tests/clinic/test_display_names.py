"""Names shown in calendars, emails and pages hold no control characters and no bidirectional
overrides, on every input path (API, admin, services), and what older rows hold is cleaned
where it is shown.

Found by fuzzing: a line break in a site, resource or patient name was accepted, then every
staff, site and room feed of that site answered 500 and the urgent-alert email failed (an email
header cannot hold a line break). U+202E (right-to-left override) makes "Chair 1" read backwards
and lets a name pose as another.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from charting.alert_notifications import urgent_alert_notify
from charting.models import Alert
from clinic.display_text import display_text, name_problem
from clinic.models import Resource, Site
from clinic.services import patient_create, site_create
from tests.scheduling.feed_support import add_session, esketamine_course, events, make_feed
from tests.support.factories import make_patient, make_user

BAD_NAMES = [
    "Main\nStreet",
    "Main\r\nStreet",
    "Tab\there",
    "Bell\x07",
    "Del\x7f",
    "C1\x85control",
    "Line\u2028separator",
    "Para\u2029separator",
    "Chair \u202e1 riahC",
    "Isolate\u2066x\u2069",
    "Mark\u200f",
]
GOOD_NAMES = ["Zoë O'Brien-Núñez", "محمد", "李小龙", "Ngũgĩ wa Thiong'o", "Nasrin\u200cZadeh"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_with_a_control_or_bidi_character_has_a_problem(name):
    problem = name_problem(name)
    assert problem is not None and "U+" in problem


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_names_in_every_script_are_fine(name):
    assert name_problem(name) is None
    assert display_text(name) == name


def test_display_text_makes_one_clean_line():
    assert display_text("Main\r\nStreet") == "Main Street"
    assert display_text("  Chair \u202e1\u202c ") == "Chair 1"
    assert display_text("a\x00b\tc") == "a b c"


# --- every input path refuses them ------------------------------------------------------------


@pytest.mark.parametrize("name", ["Main\nStreet", "Chair \u202e1"])
def test_the_api_refuses_such_patient_names(api_as, scheduler, site, patient, name):
    body = {
        "site_id": site.pk,
        "mrn": "MRN-555",
        "given_name": name,
        "family_name": "Lovelace",
        "date_of_birth": "1956-12-10",
    }
    created = api_as(scheduler).post("patients", body)
    assert created.status_code == 422 and "given_name: " in created.json()["message"]
    updated = api_as(scheduler).patch(f"patients/{patient.pk}", {"family_name": name})
    assert updated.status_code == 422 and "family_name: " in updated.json()["message"]
    patient.refresh_from_db()
    assert "\n" not in patient.family_name and "\u202e" not in patient.family_name


def test_the_services_refuse_such_names(site):
    with pytest.raises(ValidationError):
        site_create(name="North\nClinic", slug="north", timezone_name="Europe/London")
    with pytest.raises(ValidationError):
        site_create(
            name="North",
            slug="north2",
            timezone_name="Europe/London",
            resources=[("tms_chair", "C\n1")],
        )
    with pytest.raises(ValidationError):
        patient_create(
            site=site,
            mrn="MRN-556",
            given_name="Ann\u202e",
            family_name="Lee",
            date_of_birth=dt.date(1980, 1, 1),
            by=None,
        )
    assert not Site.objects.filter(slug__startswith="north").exists()


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def test_the_admin_refuses_such_site_resource_and_patient_names(admin_client_, site, patient):
    from tests.clinic.test_admin_bad_input import _form_data

    cases = [
        (f"/admin/clinic/site/{site.pk}/change/", "name"),
        (f"/admin/clinic/patient/{patient.pk}/change/", "given_name"),
        (f"/admin/clinic/patient/{patient.pk}/change/", "family_name"),
    ]
    resource = Resource.objects.filter(site=site).first()
    assert resource is not None
    cases.append((f"/admin/clinic/resource/{resource.pk}/change/", "name"))
    for url, field in cases:
        data = _form_data(admin_client_.get(url).context)
        for name in ("North\nClinic", "Chair \u202e1"):
            response = admin_client_.post(url, {**data, field: name})
            assert response.status_code == 200, (url, field, response.status_code)
            assert "U+" in response.content.decode(), (url, field)
    site.refresh_from_db()
    patient.refresh_from_db()
    resource.refresh_from_db()
    assert "\n" not in site.name + patient.given_name + patient.family_name + resource.name


# --- what older rows hold is cleaned where it is shown -----------------------------------------


def _dirty_rows(site: Site, resource: Resource) -> None:
    """Rows written before the validators, straight to the database."""
    Site.objects.filter(pk=site.pk).update(name="Riverside\r\nClinic\u202e")
    Resource.objects.filter(pk=resource.pk).update(name="Chair\n1")


@time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False)
def test_feeds_of_a_site_with_old_dirty_names_still_answer(site, scheduler, clinician):
    patient = make_patient(site, given="Ann\nMarie", family="Lee\u202e")
    course = esketamine_course(patient, scheduler)
    session = add_session(course, site, "2026-03-02")
    chair = session.holds.get(part="procedure").resource
    _dirty_rows(site, chair)
    site.staff_feed_shows_full_names = True
    site.save(update_fields=["staff_feed_shows_full_names"])
    feeds = {
        "staff": make_feed("staff", site, user=clinician)[1],
        "site": make_feed("site", site)[1],
        "resource": make_feed("resource", site, resource=chair)[1],
        "patient": make_feed("patient", site, patient=patient)[1],
    }
    for kind, token in feeds.items():
        response = Client().get(f"/calendar/{token}.ics")
        assert response.status_code == 200, (kind, response.status_code)
        assert "\u202e" not in response.content.decode()
        (event,) = events(response.content).values()
        for text in (event["summary"], event["location"], event["description"]):
            assert "\r" not in text and "\u202e" not in text
        if kind != "patient":
            assert event["location"] == "Chair 1"
            assert "Ann Marie Lee (" in event["summary"]


def test_the_urgent_alert_email_goes_out_for_a_site_with_an_old_dirty_name(
    site, patient, scheduler
):
    clinician = make_user("carl", "clinician", site)
    clinician.email = "carl@example.org"
    clinician.save()
    course = esketamine_course(patient, scheduler)
    Site.objects.filter(pk=site.pk).update(name="Riverside\r\nClinic\u202e")
    alert = Alert.objects.create(
        kind=Alert.Kind.SAFETY,
        site=site,
        patient=patient,
        course=course,
        message="item 9",
        raised_at=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
    )
    assert urgent_alert_notify(alert_id=alert.pk) == 1
    (message,) = mail.outbox
    assert message.subject.startswith("[Riverside Clinic] Urgent")
