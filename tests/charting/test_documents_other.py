"""Session record, screening checklist, blank forms, run sheet and REMS form draft: read back
with pypdf, one page of each rendered to a non-blank image, served with role and site checks."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from charting.documents.blank_forms import BlankFormRenderer
from charting.documents.run_sheet import RunSheetRenderer
from charting.form_templates import LIBRARY_DIR
from charting.models import FormTemplate, RunSheet, ScreeningResponse
from charting.observations import observation_amend
from charting.run_sheets import run_sheet_store
from charting.selectors.documents.blank_forms import blank_form_data
from charting.selectors.documents.run_sheet import run_sheet_data
from tests.charting.documents_support import page_ink, pdf_text, run_esketamine_session
from tests.support.clock import local
from tests.support.factories import make_course, make_patient, make_session

NOW = dt.datetime(2026, 3, 20, 16, 0, tzinfo=dt.UTC)
DOC_IMAGES = Path(settings.BASE_DIR) / "docs" / "documents"


def keep_image(image, name: str) -> None:
    if os.environ.get("WRITE_DOC_IMAGES"):
        image.save(DOC_IMAGES / name)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def done_esk(site, nurse, esk):
    nurse.first_name, nurse.last_name = "Nina", "Nurse"
    nurse.save()
    course, session = esk
    end = run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"))
    observation_amend(
        record=session.observation,
        checkpoint="post_40",
        field="bp",
        value="140/90",
        reason="Transcription error: cuff reading was 140/90",
        by=nurse,
        now=end + dt.timedelta(hours=1),
    )
    return course, session


def test_session_record_shows_screening_values_signature_and_amendment(api_as, nurse, done_esk):
    _, session = done_esk
    response = api_as(nurse).get(f"charting/sessions/{session.pk}/record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="session-' in response["Content-Disposition"]
    text, pages = pdf_text(response.content)
    body = flat(text)
    assert "Pat Example" in body and "MRN-001" in body
    assert "Ride home" in body or "ride" in body.lower()
    assert "Blood pressure (mmHg)" in body and "132/84" in body
    assert "150/95 (amended)" in body and "140/90" in body
    assert "Transcription error" in body
    assert "Signed Nina Nurse" in body
    assert "LOT-77" in body and "56 mg" in body
    assert f"Page 1 of {pages}" in body
    ink, image = page_ink(response.content, 0)
    assert ink > 0.01
    keep_image(image, "session-record-1.png")


def test_session_record_queries_are_constant(done_esk, nurse, site):
    from charting.selectors.documents.session_record import session_record_data

    _, session = done_esk
    with CaptureQueriesContext(connection) as queries:
        session_record_data(session_id=session.pk, now=NOW, answers_shown=True)
    assert len(queries) <= 10


def test_screening_checklist_lists_answers_and_flags(api_as, nurse, done_esk):
    _, session = done_esk
    screening = ScreeningResponse.objects.get(session=session)
    response = api_as(nurse).get(f"charting/screenings/{screening.pk}/checklist.pdf")
    assert response.status_code == 200
    text = flat(pdf_text(response.content)[0])
    assert "Esketamine" in text and "Nina Nurse" in text and "Page 1 of 1" in text
    assert "Clear" in text or "Reviewed" in text or "NEEDS CLINICIAN REVIEW" in text
    ink, image = page_ink(response.content, 0)
    assert ink > 0.01
    keep_image(image, "screening-checklist-1.png")


@pytest.mark.parametrize("slug", sorted(p.stem for p in LIBRARY_DIR.glob("*.json")))
def test_every_blank_form_renders_with_its_questions(slug, site):
    template = FormTemplate.objects.filter(slug=slug).order_by("-version").first()
    assert template is not None
    data = blank_form_data(template=template, site=site, now=NOW)
    pdf = BlankFormRenderer(data).render()
    text = flat(pdf_text(pdf)[0])
    spec = template.parsed
    labels = [f.label for f in spec.fields] + [c.label for c in spec.checkpoints]
    for label in labels:
        assert flat(label)[:40] in text, label
    assert "Patient name" in text and "Signature" in text and "Page 1 of" in text
    ink, image = page_ink(pdf, 0)
    assert ink > 0.01
    if slug in ("esketamine-post-dose", "tms-safety-screen"):
        keep_image(image, f"blank-{slug}.png")


def test_blank_form_api_and_unknown_template(api_as, scheduler):
    ok = api_as(scheduler).get("charting/templates/ect-recovery/blank.pdf")
    assert ok.status_code == 200
    assert 'filename="ect-recovery-v1-blank.pdf"' in ok["Content-Disposition"]
    missing = api_as(scheduler).get("charting/templates/no-such-form/blank.pdf")
    assert missing.status_code == 404 and missing.json()["code"] == "template_not_found"


def test_run_sheet_groups_by_resource_with_needs(api_as, site, scheduler, nurse, patient, done_esk):
    course, _ = done_esk
    day = local(site, "2026-03-10", "09:00")
    make_session(course=course, start=day)
    tms = make_course(
        patient=make_patient(site, given="Robin", family="Fisher"),
        modality="tms",
        booked_by=scheduler,
    )
    make_session(course=tms, start=day + dt.timedelta(hours=2))
    cancelled = make_session(course=tms, start=day + dt.timedelta(hours=4), status="cancelled")
    response = api_as(scheduler).get(f"charting/sites/{site.pk}/run-sheet.pdf", date="2026-03-10")
    assert response.status_code == 200
    assert 'filename="riverside-run-sheet-2026-03-10.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)[0]
    body = flat(text)
    assert "Tuesday 10 March 2026: 2 session(s) booked, 1 cancelled or missed" in body
    assert "Pat Example (MRN-001)" in body and "Robin Fisher" in body
    assert "screening due" in body and "ride home: confirm" in body
    assert re.search(r"checks ~09:00, 09:40, 11:00", body)
    assert "Cancelled" in body and cancelled.number
    ink, image = page_ink(response.content, 0)
    assert ink > 0.01
    keep_image(image, "run-sheet-1.png")


def test_run_sheet_queries_are_constant_and_an_empty_day_renders(site, scheduler, patient):
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    day = dt.date(2026, 3, 10)
    with CaptureQueriesContext(connection) as empty:
        data = run_sheet_data(site=site, day=day, now=NOW)
    assert "No sessions on this day." in pdf_text(RunSheetRenderer(data).render())[0]
    for hour in range(8, 18):
        make_session(course=course, start=local(site, "2026-03-10", f"{hour:02d}:00"), number=hour)
    with CaptureQueriesContext(connection) as full:
        data = run_sheet_data(site=site, day=day, now=NOW)
    assert len(data.lines) == 10
    assert len(full) <= 6 and len(empty) <= 6


def test_stored_run_sheet_is_listed_and_downloadable(api_as, site, scheduler, outsider):
    sheet = run_sheet_store(site=site, day=dt.date(2026, 3, 10), now=NOW)
    assert RunSheet.objects.count() == 1 and bytes(sheet.pdf).startswith(b"%PDF")
    listing = api_as(scheduler).get(f"charting/sites/{site.pk}/run-sheets")
    assert listing.status_code == 200
    assert listing.json()[0]["day"] == "2026-03-10" and listing.json()[0]["size_bytes"] > 1000
    pdf = api_as(scheduler).get(f"charting/sites/{site.pk}/stored-run-sheet.pdf", date="2026-03-10")
    assert pdf.status_code == 200 and pdf.content == bytes(sheet.pdf)
    none = api_as(scheduler).get(
        f"charting/sites/{site.pk}/stored-run-sheet.pdf", date="2026-03-11"
    )
    assert none.status_code == 404 and none.json()["code"] == "run_sheet_not_found"
    assert api_as(outsider).get(f"charting/sites/{site.pk}/run-sheets").status_code == 404


def test_rems_form_draft_is_prefilled(api_as, clinician, scheduler, site, done_esk):
    _, session = done_esk
    response = api_as(clinician).get(f"charting/sessions/{session.pk}/rems-form.pdf")
    assert response.status_code == 200
    text = flat(pdf_text(response.content)[0])
    assert "DRAFT" in text and "LOT-77" in text and "132/84" in text and "Pat Example" in text
    assert "16 Mar 2026" in text  # due 7 days after the session
    ink, image = page_ink(response.content, 0)
    assert ink > 0.01
    keep_image(image, "rems-form-1.png")
    # Another patient's TMS session (the same patient cannot overlap on PostgreSQL).
    tms = make_course(
        patient=make_patient(site, given="Tom", family="Smith"), modality="tms", booked_by=scheduler
    )
    tms_session = make_session(course=tms, start=local(site, "2026-03-09", "09:00"))
    other = api_as(clinician).get(f"charting/sessions/{tms_session.pk}/rems-form.pdf")
    assert other.status_code == 404
    assert other.json()["code"] == "monitoring_form_not_applicable"


def test_other_sites_documents_are_404(api_as, outsider, done_esk, site):
    _, session = done_esk
    screening = ScreeningResponse.objects.get(session=session)
    for path in (
        f"charting/sessions/{session.pk}/record.pdf",
        f"charting/sessions/{session.pk}/rems-form.pdf",
        f"charting/screenings/{screening.pk}/checklist.pdf",
        f"charting/sites/{site.pk}/run-sheet.pdf",
    ):
        assert api_as(outsider).get(path).status_code == 404, path
