"""The course summary PDF: read back with pypdf (names, one line per session with its status,
scale values, page numbering), rendered to an image (not blank), served by the API with role
and site checks, in a constant number of queries, and robust to empty or very long input."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from charting.documents.course_summary import CourseSummaryRenderer
from charting.models import Alert
from charting.selectors.documents.course_summary import course_summary_data
from clinic.models import Patient
from scheduling.models import Session
from tests.charting.documents_support import make_rich_course, page_ink, pdf_text
from tests.support.factories import make_course

NOW = dt.datetime(2026, 5, 1, 16, 0, tzinfo=dt.UTC)
DOC_IMAGES = Path(settings.BASE_DIR) / "docs" / "documents"


def layout_text(content: bytes) -> str:
    """pypdf's layout mode keeps a table row on one line."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(p.extract_text(extraction_mode="layout") for p in reader.pages)


def keep_image(image, name: str) -> None:
    """WRITE_DOC_IMAGES=1 refreshes the pictures in docs/documents/."""
    if os.environ.get("WRITE_DOC_IMAGES"):
        image.save(DOC_IMAGES / name)


@pytest.fixture
def course(patient, scheduler, clinician, nurse, t0):
    clinician.first_name, clinician.last_name = "Carl", "Clinician"
    clinician.save()
    return make_rich_course(
        patient=patient, booked_by=scheduler, clinician=clinician, nurse=nurse, first=t0
    )


def render(course_id: int) -> bytes:
    return CourseSummaryRenderer(
        course_summary_data(course_id=course_id, now=NOW, answers_shown=True)
    ).render()


def test_course_summary_reads_back_with_every_session_on_its_own_line(course):
    pdf = render(course.pk)
    text, pages = pdf_text(pdf)
    assert "Pat Example" in text and "MRN-001" in text and "1980-05-17" in text
    assert "Standard 10 Hz rTMS" in text and "Carl Clinician" in text and "Riverside" in text
    lines = layout_text(pdf).splitlines()
    for s in Session.objects.filter(course=course):
        local = s.start.astimezone(course.site.zone)
        row = [
            line
            for line in lines
            if re.match(rf"^\s*{s.number}\s+acute\s+{local:%a %d %b %Y}\s", line)
        ]
        assert len(row) == 1, (s.number, row)
        assert s.get_status_display() in row[0]
        assert f"{local:%H:%M}" in row[0]
    cancelled = next(line for line in lines if re.match(r"^\s*3\s+acute", line))
    assert "Cancelled" in cancelled and "patient unwell" in cancelled
    moved = next(line for line in lines if re.match(r"^\s*36\s+acute", line))
    assert "moved from Mon 27 Apr 09:00" in moved and "10:00-10:45" in moved
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Generated 2026-05-01 12:00 EDT (America/New_York)" in text


def test_course_summary_shows_scales_outcome_parameters_and_alert_reviews(course):
    text = layout_text(render(course.pk))
    for total in (21, 20, 18, 10, 4, 3):
        assert re.search(rf"PHQ-9\s+\d\d \w\w\w 2026\s+\d+\s+{total}\s", text), total
    assert "Baseline 21, latest 3, change -85.7%" in text
    assert "Response (50% or more below baseline): yes" in text
    assert "Remission (4 or less): yes" in text
    assert "50% response 10.5" in text and "remission <= 4" in text and "baseline 21" in text
    assert "Motor threshold" in text and "52 % output" in text and "120 % MT" in text
    assert "NOT YET REVIEWED" in text
    assert "Carl Clinician, 10 Mar 2026" in text and "New medication" in text


def test_course_summary_page_renders_to_a_non_blank_image(course):
    pdf = render(course.pk)
    _, pages = pdf_text(pdf)
    ink, image = page_ink(pdf, 0)
    assert 0.01 < ink < 0.5
    keep_image(image, "course-summary-1.png")
    ink, image = page_ink(pdf, pages - 1)
    assert ink > 0.01
    keep_image(image, "course-summary-last.png")


def test_course_summary_queries_do_not_grow_with_sessions(patient, scheduler, clinician, nurse, t0):
    small = make_rich_course(
        patient=patient,
        booked_by=scheduler,
        clinician=clinician,
        nurse=nurse,
        first=t0,
        sessions=8,
        scales=3,
    )
    large = make_rich_course(
        patient=patient,
        booked_by=scheduler,
        clinician=clinician,
        nurse=nurse,
        first=t0 + dt.timedelta(days=200),
        sessions=36,
        scales=12,
    )
    counts = []
    for c in (small, large):
        with CaptureQueriesContext(connection) as queries:
            course_summary_data(course_id=c.pk, now=NOW, answers_shown=True)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


def test_course_without_sessions_or_scales_still_renders(patient, scheduler):
    course = make_course(patient=patient, modality="ect", booked_by=scheduler)
    pdf = render(course.pk)
    text, pages = pdf_text(pdf)
    assert pages == 1
    assert "This course has no sessions." in text
    assert "No outcome scales recorded." in text
    assert "Page 1 of 1" in text


def test_very_long_text_is_printed_in_full_across_pages(course, clinician):
    long_note = "Discussed at length. " * 250  # ~5,000 characters, longer than a page of cell
    alert = Alert.objects.filter(course=course, acknowledged_at__isnull=False).first()
    assert alert is not None
    alert.note = long_note[:1000]
    alert.save()
    session = Session.objects.get(course=course, number=3)
    session.status_reason = ("Patient unwell & <unable> to travel; " * 20)[:300]
    session.save()
    patient = course.patient
    patient.given_name = "Maximiliana-Alexandrina " * 4
    patient.save()
    pdf = render(course.pk)
    text, pages = pdf_text(pdf)
    assert pages >= 3
    assert "Patient unwell & <unable> to travel" in text
    assert text.count("Discussed at length.") >= 40


def test_api_serves_the_course_summary_as_a_pdf_download(api_as, nurse, course):
    response = api_as(nurse).get(f"charting/courses/{course.pk}/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="course-{course.pk}-summary-mrn-001.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")


def test_another_sites_course_is_404_and_roles_are_checked(api_as, outsider, course, site, db):
    from tests.support.factories import make_user

    response = api_as(outsider).get(f"charting/courses/{course.pk}/summary.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "course_not_found"
    no_role = make_user("norole", None, site)
    assert api_as(no_role).get(f"charting/courses/{course.pk}/summary.pdf").status_code == 403
    assert api_as(None).get(f"charting/courses/{course.pk}/summary.pdf").status_code == 401


# --- the early-improvement review and self-report scores (issue 12 point 5) ----------------


@pytest.fixture
def reviewed_course(patient, scheduler, clinician, nurse):
    """A standard TMS course: the patient's own PHQ-9 20 at session 1 and 18 at session 10
    (10% better: a review), a clinician's MADRS, and the prescriber's decision."""
    from charting.early_review import early_review_decide
    from charting.models import EarlyReview
    from charting.outcomes import scale_record
    from charting.self_report import self_report_submit
    from tests.charting.self_report_support import complete, day_of, phq9, session, tms_course

    clinician.first_name, clinician.last_name = "Carl", "Clinician"
    clinician.save()
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
    madrs = {key: 3 for key in ("apparent_sadness", "reported_sadness", "inner_tension")}
    madrs |= {
        key: 2
        for key in (
            "reduced_sleep",
            "reduced_appetite",
            "concentration_difficulties",
            "lassitude",
            "inability_to_feel",
            "pessimistic_thoughts",
        )
    }
    madrs["suicidal_thoughts"] = 0
    scale_record(
        course=course,
        scale="madrs",
        items=madrs,
        administered_at=session(course, 1).start,
        session=session(course, 1),
        by=clinician,
        now=session(course, 1).end,
    )
    early_review_decide(
        review=EarlyReview.objects.get(course=course),
        decision="continue",
        note="Sleep improving; reassess at session 20.",
        by=clinician,
        now=day_of(course, 10, "19:30"),
    )
    return course


def test_course_summary_shows_the_early_review_with_figures_evidence_and_decision(
    reviewed_course,
):
    text = layout_text(render(reviewed_course.pk))
    flat = " ".join(text.split())
    assert "Early-improvement review" in flat
    assert "Status Decided" in flat
    assert "Scale PHQ-9" in flat and "Review point session 10" in flat
    assert "Baseline 20" in flat and "Session 10 18" in flat
    assert "Improvement 10.0%" in flat and "Review below 20% improvement" in flat
    assert "negative predictive value of 74%" in flat and "Iowa 2022" in flat
    assert "Decision Continue the course" in flat and "Decided by Carl Clinician" in flat
    assert "Decided at 20 Mar 2026 19:30 EDT" in flat
    assert "Sleep improving; reassess at session 20." in flat


def test_course_summary_labels_self_report_apart_from_clinician_ratings(reviewed_course):
    text = layout_text(render(reviewed_course.pk))
    self_part, clinician_part = text.split("Patient-rated scales")[1].split(
        "Clinician-rated scales"
    )
    lines = self_part.splitlines()
    for number, total in ((1, 20), (10, 18)):
        pattern = rf"PHQ-9\s+\d\d \w\w\w 2026\s+{number}\s+{total}\s"
        row = [line for line in lines if re.search(pattern, line)]
        assert len(row) == 1 and "patient, own device" in row[0], (total, row)
    assert "MADRS" not in self_part
    madrs = [
        line
        for line in clinician_part.splitlines()
        if re.search(r"MADRS\s+09 Mar 2026\s+1\s+21\s", line)
    ]
    assert len(madrs) == 1 and madrs[0].rstrip().endswith("clinician-entered")
    flat = " ".join(text.split())
    assert re.search(r"PHQ-9[^:]*: patient-rated", flat)
    assert re.search(r"MADRS[^:]*: clinician-rated", flat)


def test_an_open_review_says_not_yet_decided(patient, scheduler):
    from charting.models import EarlyReview
    from charting.self_report import self_report_submit
    from tests.charting.self_report_support import complete, day_of, phq9, tms_course

    course = tms_course(patient, scheduler)
    complete(course, 10)
    for number, total in ((1, 20), (10, 18)):
        self_report_submit(
            course=course,
            scale="phq9",
            session_number=number,
            answers=phq9(total),
            now=day_of(course, number),
        )
    assert EarlyReview.objects.get(course=course).status == "open"
    flat = " ".join(layout_text(render(course.pk)).split())
    assert "Status Decision needed" in flat and "Decision NOT YET DECIDED" in flat


def test_queries_stay_constant_with_a_review_and_self_reports(
    reviewed_course, scheduler, clinician, nurse, t0
):
    # Another patient's plain course, three hours later each day: PostgreSQL's exclusion
    # constraints refuse one patient's overlapping sessions and one chair's overlapping holds.
    other = Patient.objects.create(
        site=reviewed_course.site,
        mrn="MRN-PLAIN",
        given_name="Plain",
        family_name="Course",
        date_of_birth=dt.date(1975, 1, 1),
    )
    course = make_rich_course(
        patient=other,
        booked_by=scheduler,
        clinician=clinician,
        nurse=nurse,
        first=t0 + dt.timedelta(hours=3),
    )
    counts = []
    for c in (course, reviewed_course):
        with CaptureQueriesContext(connection) as queries:
            course_summary_data(course_id=c.pk, now=NOW, answers_shown=True)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8
