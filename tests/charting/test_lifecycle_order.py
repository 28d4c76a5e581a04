"""The session lifecycle in its natural order (issue 15, point 2): once the observation record
is signed the observation is over, so completing the session is one action, on the API and on
the board, and "Start observation" is no longer offered or accepted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from charting.screening import session_screening_submit
from scheduling.models import Session
from tests.charting.documents_support import chart_esketamine_observation
from tests.charting.helpers import safe_answers


def _signed_while_in_progress(session: Session, nurse, api, t0: dt.datetime) -> None:
    """Check in, screen, start; dose at t0 + 10 min; chart and sign 125 minutes later, without
    ever pressing "Start observation"."""
    with time_machine.travel(t0 - dt.timedelta(minutes=15), tick=False):
        assert api.post(f"sessions/{session.pk}/check_in").status_code == 200
    session_screening_submit(
        session=session,
        answers=safe_answers("esketamine-pre-dose"),
        by=nurse,
        now=t0 - dt.timedelta(minutes=10),
    )
    with time_machine.travel(t0, tick=False):
        assert api.post(f"sessions/{session.pk}/start").status_code == 200
    session.refresh_from_db()
    chart_esketamine_observation(session, nurse, t0)


@pytest.fixture
def signed(esk, nurse, api_as, t0, site):
    site.rems_certified = True
    site.save()
    _course, session = esk
    _signed_while_in_progress(session, nurse, api_as(nurse), t0)
    session.refresh_from_db()
    assert session.status == Session.Status.IN_PROGRESS
    return session


def test_a_signed_observation_lets_the_session_complete_in_one_action(signed, nurse, api_as, t0):
    with time_machine.travel(t0 + dt.timedelta(minutes=140), tick=False):
        response = api_as(nurse).post(f"sessions/{signed.pk}/complete")
    assert response.status_code == 200, response.json()
    assert response.json()["session"]["status"] == "completed"


def test_start_observation_is_refused_once_the_observation_is_signed(signed, nurse, api_as, t0):
    with time_machine.travel(t0 + dt.timedelta(minutes=140), tick=False):
        response = api_as(nurse).post(f"sessions/{signed.pk}/observe")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "complete" in response.json()["message"].lower()


def test_the_board_offers_complete_not_start_observation_after_sign_off(
    signed, nurse, client, t0, site
):
    client.force_login(nurse)
    with time_machine.travel(t0 + dt.timedelta(minutes=140), tick=False):
        page = client.get(f"/?site={site.pk}&date=2026-03-09").content.decode()
    row = page[page.index(f'id="session-{signed.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Start observation" not in row
    assert ">Complete<" in row


def test_without_a_signed_record_the_board_still_offers_start_observation(
    esk, nurse, api_as, client, t0, site
):
    site.rems_certified = True
    site.save()
    _course, session = esk
    api = api_as(nurse)
    with time_machine.travel(t0 - dt.timedelta(minutes=15), tick=False):
        assert api.post(f"sessions/{session.pk}/check_in").status_code == 200
    session_screening_submit(
        session=session, answers=safe_answers("esketamine-pre-dose"), by=nurse, now=t0
    )
    with time_machine.travel(t0, tick=False):
        assert api.post(f"sessions/{session.pk}/start").status_code == 200
        early = api.post(f"sessions/{session.pk}/complete")
        client.force_login(nurse)
        page = client.get(f"/?site={site.pk}&date=2026-03-09").content.decode()
    assert early.status_code == 409
    row = page[page.index(f'id="session-{session.pk}"') :]
    assert "Start observation" in row[: row.index("</tr>")]
