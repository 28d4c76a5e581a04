"""The discharge sign-off on the pages (issue 15, points 1 and 7): /nurse/ and the form ask
the service's own predicate, a late checkpoint is marked on the form, the PDF and the REMS
draft, and the alerts are worth reading (severity, a note for severe ones, the count in the
navigation, "already discharged" in the queue)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from charting.alerts import alert_acknowledge
from charting.models import Alert, ObservationRecord
from charting.observations import (
    observation_record_values,
    observation_set_anchor,
    observation_sign,
)
from tests.charting.documents_support import pdf_text
from tests.charting.helpers import DISCHARGE_VALUES, POST_40_VALUES
from tests.pages.conftest import DAY
from tests.pages.test_page_roles import client_for, started
from tests.support.clock import local

pytestmark = pytest.mark.django_db


def dosed(session, nurse, site, now) -> ObservationRecord:
    """Started 08:30, pre-dose vitals 08:32, first device 08:40 (discharge from 10:40)."""
    record = started(session, nurse, now)
    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": "132/84", "spo2": 98, "vitals_acceptable": True},
        taken_at=local(site, DAY, "08:32"),
        by=nurse,
        now=local(site, DAY, "08:32"),
    )
    observation_set_anchor(
        record=record, at=local(site, DAY, "08:40"), by=nurse, now=local(site, DAY, "08:41")
    )
    record.refresh_from_db()
    return record


def values(record, nurse, checkpoint, answers, when):
    observation_record_values(
        record=record, checkpoint=checkpoint, values=answers, taken_at=when, by=nurse, now=when
    )


def test_nurse_day_never_offers_sign_off_the_service_would_refuse(
    settings, site, nurse, clinician, esk_session, now
):
    record = dosed(esk_session, nurse, site, now)
    # Past the 2-hour minimum, but no post-dose value exists yet.
    settings.CLINIC_NOW = local(site, DAY, "10:45")
    body = client_for(nurse).get(f"/nurse/?date={DAY}").content.decode()
    assert "Discharge can be signed" not in body
    assert "Discharge not yet: Required checkpoint values are missing" in body

    values(record, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:20"))
    values(record, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "10:44"))
    body = client_for(nurse).get(f"/nurse/?date={DAY}").content.decode()
    assert "Discharge can be signed" not in body
    assert "Discharge not yet: A severe alert is not acknowledged yet" in body

    severe = Alert.objects.get(session=esk_session, severity="severe")
    alert_acknowledge(
        alert=severe, note="Rechecked 150/90", by=clinician, now=local(site, DAY, "10:45")
    )
    body = client_for(nurse).get(f"/nurse/?date={DAY}").content.decode()
    assert "Discharge can be signed" in body


def test_the_form_shows_the_refusal_and_the_service_agrees(
    settings, site, nurse, clinician, esk_session, now
):
    record = dosed(esk_session, nurse, site, now)
    values(record, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:20"))
    values(record, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "10:44"))
    settings.CLINIC_NOW = local(site, DAY, "10:45")
    client = client_for(nurse)
    page = client.get(f"/sessions/{esk_session.pk}/observation/").content.decode()
    assert 'id="sign-reason">A severe alert is not acknowledged yet' in page
    assert "disabled" in page.split('id="sign-reason"')[1].split("</button>")[0]
    assert 'id="cosign-form"' not in page  # a nurse cannot co-sign
    response = client.post(
        f"/sessions/{esk_session.pk}/observation/sign/", {"form_key": "page-sign-key-0001"}
    )
    assert response.status_code == 409
    record.refresh_from_db()
    assert record.status == "open"

    doctor = clinician
    page = client_for(doctor).get(f"/sessions/{esk_session.pk}/observation/").content.decode()
    assert 'id="cosign-form"' in page
    response = client_for(doctor).post(
        f"/sessions/{esk_session.pk}/observation/sign/",
        {
            "form_key": "page-sign-key-0002",
            "cosign_reason": "Seen at the chair: 150/92, well; may leave",
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.cosigned_by) == ("signed", doctor)
    page = client_for(nurse).get(f"/sessions/{esk_session.pk}/observation/").content.decode()
    assert "Co-signed over an open severe alert by" in page


def test_a_late_checkpoint_is_marked_on_the_form_the_pdf_and_the_rems_draft(
    settings, api_as, site, nurse, esk_session, now
):
    record = dosed(esk_session, nurse, site, now)
    # Due 09:20 (window 15 min): taken 14:20, late by 285 minutes.
    values(record, nurse, "post_40", POST_40_VALUES, local(site, DAY, "14:20"))
    values(record, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "14:21"))
    settings.CLINIC_NOW = local(site, DAY, "14:22")
    page = client_for(nurse).get(f"/sessions/{esk_session.pk}/observation/").content.decode()
    assert "Late by 285 min" in page
    assert Alert.objects.get(session=esk_session, kind="timing").severity == "review"

    observation_sign(record=record, by=nurse, now=local(site, DAY, "14:22"))
    pdf = api_as(nurse).get(f"charting/sessions/{esk_session.pk}/record.pdf")
    assert pdf.status_code == 200
    text, _ = pdf_text(pdf.content)
    assert "late by 285 min" in " ".join(text.split())
    rems = api_as(nurse).get(f"charting/sessions/{esk_session.pk}/rems-form.pdf")
    assert rems.status_code == 200
    text, _ = pdf_text(rems.content)
    assert "(late by 285 min)" in " ".join(text.split())


def test_the_queue_needs_a_note_for_severe_alerts_and_says_who_has_left(
    settings, site, nurse, clinician, esk_session, now
):
    record = dosed(esk_session, nurse, site, now)
    values(record, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:20"))
    values(
        record, nurse, "discharge", {**DISCHARGE_VALUES, "bp": "165/95"}, local(site, DAY, "10:44")
    )
    settings.CLINIC_NOW = local(site, DAY, "10:45")
    doctor = clinician
    client = client_for(doctor)
    severe = Alert.objects.get(session=esk_session, severity="severe")
    page = client.get("/alerts/").content.decode()
    article = page.split(f'id="alert-{severe.pk}"')[1].split("</article>")[0]
    assert "Severe" in article and "required" in article
    assert "already discharged" not in article

    client.post(f"/alerts/{severe.pk}/acknowledge/", {"form_key": "page-ack-key-00001", "note": ""})
    severe.refresh_from_db()
    assert severe.acknowledged_at is None
    client.post(
        f"/alerts/{severe.pk}/acknowledge/",
        {"form_key": "page-ack-key-00002", "note": "Seen; settling"},
    )
    severe.refresh_from_db()
    assert severe.acknowledged_at is not None

    observation_sign(record=record, by=nurse, now=local(site, DAY, "10:46"))
    plain = Alert.objects.get(session=esk_session, severity="alert")
    page = client.get("/alerts/").content.decode()
    article = page.split(f'id="alert-{plain.pk}"')[1].split("</article>")[0]
    assert "Patient already discharged: signed out at 9 Mar 10:46 EDT" in article


def test_the_navigation_counts_open_alerts_for_clinicians_and_nurses(
    site, scheduler, nurse, clinician, esk_session, now
):
    record = dosed(esk_session, nurse, site, now)
    doctor = clinician

    def nav(user) -> str:
        page = client_for(user).get("/").content.decode()
        return page.split("<nav")[1].split("</nav>")[0]

    assert "count" not in nav(nurse)
    values(record, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:20"))
    assert 'Open alerts <span class="count">1</span>' in nav(nurse)
    assert '<span class="count" aria-label="1 open">1</span>' in nav(doctor)
    assert "Open alerts" not in nav(scheduler) and "count" not in nav(scheduler)

    def queries() -> int:
        client = client_for(nurse)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    values(
        record,
        nurse,
        "discharge",
        {**DISCHARGE_VALUES, "bp": "165/95", "spo2": 90},
        local(site, DAY, "10:44"),
    )
    assert Alert.objects.filter(acknowledged_at__isnull=True).count() == 3
    assert queries() == few
    assert 'Open alerts <span class="count">3</span>' in nav(nurse)


def test_nurse_day_asks_the_predicate_in_a_constant_number_of_queries(
    settings, site, scheduler, nurse, esk_session, now
):
    from tests.support.factories import make_course, make_patient, make_session

    record = dosed(esk_session, nurse, site, now)
    values(record, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:20"))
    settings.CLINIC_NOW = local(site, DAY, "10:45")
    client = client_for(nurse)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/nurse/?date={DAY}").status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(4):
        other = make_patient(site, given=f"P{i}", family="Dose", mrn=f"MRN-D{i}")
        course = make_course(patient=other, modality="esketamine", booked_by=scheduler)
        session = make_session(course=course, start=local(site, DAY, "08:30"))
        more = dosed(session, nurse, site, now)
        values(
            more, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:20")
        )
        values(more, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "10:44"))
    assert queries() == few
    body = client.get(f"/nurse/?date={DAY}").content.decode()
    assert body.count("Discharge not yet: A severe alert") == 4


def test_nurse_day_names_the_discharge_minute_rounded_up(settings, site, nurse, esk_session, now):
    # The dose at 08:40:30 allows discharge from 10:40:30: "available at 10:40" would name a
    # minute in which signing is still refused.
    record = started(esk_session, nurse, now)
    observation_set_anchor(
        record=record,
        at=local(site, DAY, "08:40") + dt.timedelta(seconds=30),
        by=nurse,
        now=local(site, DAY, "08:41"),
    )
    settings.CLINIC_NOW = local(site, DAY, "09:00")
    body = client_for(nurse).get(f"/nurse/?date={DAY}").content.decode()
    assert "Discharge available at 10:41" in body
    assert "Discharge available at 10:40" not in body
