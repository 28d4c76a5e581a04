"""Check-in override from the pages (issue 18 point 2): outside the check-in window a
clinician checks the patient in with a reason, through the same service as the API
(`session_check_in(override_reason=...)`); others see the window, never the field."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic.models import FormSubmission
from scheduling.models import Session
from tests.pages.conftest import DAY
from tests.support.clock import local

pytestmark = pytest.mark.django_db

KEY = "k" * 24


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def late(esk_session, site, settings):
    """The 09:00 session at 16:00: its check-in window closed at its end."""
    settings.CLINIC_NOW = local(site, DAY, "16:00")
    return esk_session


def override(client: Client, session, reason: str, key: str = KEY):
    return client.post(
        f"/sessions/{session.pk}/check_in/",
        {"override": "1", "override_reason": reason, "reason": reason, "form_key": key},
    )


def test_the_board_and_the_session_page_offer_the_override_to_a_clinician(late, clinician):
    client = client_for(clinician)
    for url in (f"/?site={late.site_id}&date={DAY}", f"/sessions/{late.pk}/"):
        body = client.get(url).content.decode()
        assert "Override reason" in body, url
        assert "Check in with override" in body, url
        assert f'id="check-in-window-{late.pk}"' in body, url


def test_others_see_the_window_message_without_the_field(late, scheduler, nurse):
    for user in (scheduler, nurse):
        client = client_for(user)
        for url in (f"/?site={late.site_id}&date={DAY}", f"/sessions/{late.pk}/"):
            body = client.get(url).content.decode()
            assert f'id="check-in-window-{late.pk}"' in body, url
            assert "A clinician may check the patient in outside it" in body
            assert "Override reason" not in body, url


def test_no_override_field_while_the_window_is_open(esk_session, clinician):
    body = client_for(clinician).get(f"/sessions/{esk_session.pk}/").content.decode()
    assert "Override reason" not in body


def test_a_clinician_overrides_and_the_history_records_the_reason(late, clinician):
    client = client_for(clinician)
    response = override(client, late, "Arrived late after a traffic jam")
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == Session.Status.CHECKED_IN
    latest = late.history.order_by("-history_id").first()
    assert "check-in override: Arrived late after a traffic jam" in latest.history_change_reason
    assert latest.history_user == clinician
    # The same form sent again records nothing more.
    again = override(client, late, "Arrived late after a traffic jam")
    assert again.status_code == 302
    assert late.history.count() == 2  # created, checked in
    assert FormSubmission.objects.filter(key=KEY).count() == 1


def test_a_scheduler_posting_an_override_is_refused_with_the_services_reason(late, scheduler):
    response = override(client_for(scheduler), late, "Front desk says so")
    assert response.status_code == 403  # the 403 page's reason: the service's Forbidden
    late.refresh_from_db()
    assert late.status == Session.Status.SCHEDULED
    assert not FormSubmission.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 81])
def test_an_empty_or_too_long_reason_is_a_422_with_the_field_again(late, clinician, reason):
    response = override(client_for(clinician), late, reason)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Override reason" in body
    late.refresh_from_db()
    assert late.status == Session.Status.SCHEDULED


def test_an_override_on_another_day_shows_the_services_message(esk_session, clinician, settings):
    settings.CLINIC_NOW = local(esk_session.site, "2026-03-10", "09:00")
    response = override(client_for(clinician), esk_session, "Came a day late")
    assert response.status_code == 409
    body = response.content.decode()
    assert "an override only widens the check-in window on the" in body
    esk_session.refresh_from_db()
    assert esk_session.status == Session.Status.SCHEDULED
    assert not FormSubmission.objects.exists()  # refused: the corrected form may be sent again


def test_another_sites_clinician_gets_404(late, other_site):
    from tests.support.factories import make_user

    stranger = make_user("far-clinician", "clinician", other_site)
    assert override(client_for(stranger), late, "Not mine").status_code == 404
