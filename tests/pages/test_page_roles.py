"""Server-side rules of the staff pages (Django test client): who sees what, CSRF on every
form, a label on every input, and a constant number of queries on the busiest pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from charting.models import ObservationRecord
from charting.screening import session_screening_submit
from scheduling.session_lifecycle import session_check_in, session_start
from tests.charting.helpers import safe_answers
from tests.pages.conftest import DAY, hold
from tests.support.clock import local
from tests.support.factories import make_course, make_patient, make_session

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def started(session, nurse, now):
    session_check_in(session_id=session.pk, by=nurse, now=now)
    session_screening_submit(
        session=session, answers=safe_answers("esketamine-pre-dose"), by=nurse, now=now
    )
    session_start(session_id=session.pk, by=nurse, now=now)
    return ObservationRecord.objects.get(session=session)


def pages(session) -> list[str]:
    return [
        "/",
        "/grid/",
        "/patients/",
        f"/patients/{session.patient_id}/",
        f"/sessions/{session.pk}/",
        "/site/",
        f"/courses/{session.course_id}/",
    ]


CLINICAL_PAGES = [
    "/nurse/",
    "/sessions/{s}/screening/",
    "/sessions/{s}/observation/",
    "/sessions/{s}/parameters/",
    "/courses/{c}/outcomes/",
]


def test_a_scheduler_never_sees_clinical_values(scheduler, nurse, esk_session, now):
    record = started(esk_session, nurse, now)
    from charting.observations import observation_record_values

    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": {"systolic": 187, "diastolic": 96}, "spo2": 97},
        taken_at=now,
        by=nurse,
        now=now,
    )
    client = client_for(scheduler)
    for path in [*CLINICAL_PAGES, "/alerts/"]:
        url = path.format(s=esk_session.pk, c=esk_session.course_id)
        assert client.get(url).status_code == 403, url
    for url in pages(esk_session):
        body = client.get(url).content.decode()
        assert "187/96" not in body and "187" not in body, url
        assert "/observation/" not in body, url


def test_a_nurse_never_sees_booking_actions(nurse, esk_session):
    client = client_for(nurse)
    assert client.get("/book/").status_code == 403
    post = client.post(f"/sessions/{esk_session.pk}/change/cancel/", {"reason": "ill"})
    assert post.status_code == 403
    for url in pages(esk_session):
        body = client.get(url).content.decode()
        assert "/book/" not in body, url
        assert "/change/" not in body, url
        assert "Reschedule" not in body and "Close a day" not in body, url


def test_only_a_clinician_sees_the_alerts_queue(nurse, clinician, esk_session):
    assert client_for(nurse).get("/alerts/").status_code == 403
    assert client_for(clinician).get("/alerts/").status_code == 200


def test_another_sites_staff_get_404(outsider, esk_session):
    client = client_for(outsider)
    for url in [f"/sessions/{esk_session.pk}/", f"/patients/{esk_session.patient_id}/"]:
        assert client.get(url).status_code == 404


INPUT = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)


def assert_forms_are_safe(body: str, url: str) -> None:
    for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", body, re.S):
        assert 'name="csrfmiddlewaretoken"' in form, url
    ids = set(re.findall(r'<label[^>]*for="([^"]+)"', body))
    for _tag, attrs in INPUT.findall(body):
        if re.search(r'type="(hidden|submit)"', attrs):
            continue
        found = re.search(r'id="([^"]+)"', attrs)
        assert found and found.group(1) in ids, f"{url}: input without a label: {attrs}"


def test_every_form_has_csrf_and_every_input_a_label(
    admin_user, nurse, esk_session, tms_session, now
):
    started(esk_session, nurse, now)
    client = client_for(admin_user)
    urls = [*pages(esk_session), "/book/", "/alerts/"]
    urls += [p.format(s=esk_session.pk, c=esk_session.course_id) for p in CLINICAL_PAGES]
    urls += [
        f"/sessions/{tms_session.pk}/screening/",
        f"/courses/{tms_session.course_id}/screening/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_forms_are_safe(response.content.decode(), url)


def _many_sessions(site, scheduler, count: int) -> None:
    for i in range(count):
        p = make_patient(site, given=f"P{i}", family="Busy", mrn=f"B-{i}")
        course = make_course(patient=p, modality="esketamine", booked_by=scheduler)
        # One after another on the second chair: PostgreSQL's exclusion constraint refuses
        # overlapping holds on a resource, as it would in the clinic.
        minute = 8 * 60 + i * 45
        s = make_session(
            course=course, start=local(site, DAY, f"{minute // 60:02d}:{minute % 60:02d}")
        )
        hold(s, "Spravato 2")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/nurse/", "/grid/"])
def test_busy_pages_run_a_constant_number_of_queries(url, site, scheduler, nurse, esk_session, now):
    viewer = nurse
    started(esk_session, nurse, now)
    client = client_for(viewer)
    few = _queries(client, f"{url}?date={DAY}")
    _many_sessions(site, scheduler, 12)
    many = _queries(client, f"{url}?date={DAY}")
    assert many == few, (few, many)
