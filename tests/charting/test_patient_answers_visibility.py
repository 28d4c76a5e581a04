"""A scheduler never reads what a patient answered: no rating-scale item answers, no
self-report or check-in, no safety or side-effect alert (they quote the answers), on any read
endpoint, page or document (issue 16, point 5). One rule decides it:
`charting/selectors/patient_reports.py` `patient_answers_visible`.

The walk takes every GET operation from the OpenAPI document, so an endpoint added later is
walked too; path parameters are filled from the course built here.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from charting.daily_checkin import daily_checkin_save
from charting.documents.course_summary import CourseSummaryRenderer
from charting.models import Alert
from charting.patient_settings import course_checkin_set
from charting.selectors.documents.course_summary import course_summary_data
from charting.self_report import self_report_submit
from clinic import clock
from tests.charting.self_report_support import day_of, phq9, session, staff_phq9, tms_course

# Text that only appears where a patient's answers (or an alert quoting them) are shown.
MARKERS = (
    "item9",
    "item 9",
    "better off dead",
    "self-harm",
    "marked severe",
    "Self-report scores",
    "Safety item",
    "Severe side effect",
)


@pytest.fixture
def answered(patient, scheduler, nurse, clinician):
    """A TMS course whose patient answered PHQ-9 item 9 at home and in clinic, and reported a
    severe side effect: one alert of each kind an answer can raise."""
    course = tms_course(patient, scheduler)
    self_report_submit(
        course=course,
        scale="phq9",
        session_number=1,
        answers=phq9(12, item9=2),
        now=day_of(course, 1, "07:00"),
    )
    staff_phq9(course, 1, 0, nurse)
    from charting.outcomes import scale_record

    one = session(course, 1)
    scale_record(
        course=course,
        scale="phq9",
        items=phq9(10, item9=1),
        administered_at=one.start,
        session=one,
        by=nurse,
        now=one.end,
    )
    course_checkin_set(course=course, enabled=True, by=clinician)
    daily_checkin_save(
        course=course,
        mood=3,
        sleep_hours=5.0,
        side_effects={"headache": "severe"},
        now=day_of(course, 1, "20:00"),
    )
    kinds = set(Alert.objects.filter(course=course).values_list("kind", flat=True))
    assert kinds == {"safety", "side_effect"}
    return course


def _params(course) -> dict[str, str]:
    first = session(course, 1)
    alert = Alert.objects.filter(course=course).first()
    return {
        "course_id": str(course.pk),
        "session_id": str(first.pk),
        "patient_id": str(course.patient_id),
        "site_id": str(course.site_id),
        "alert_id": str(alert.pk) if alert else "1",
        "screening_id": "1",
        "record_id": "1",
        "item_id": "1",
        "review_id": "1",
        "scale": "phq9",
        "session_number": "1",
        "slug": "phq9",
        "protocol_id": str(course.protocol_id),
        "day": "2026-03-09",
    }


# Questionnaires and blank forms: the questions (PHQ-9's item 9 among them), nobody's answers.
DEFINITIONS = (
    "/api/v1/charting/scales",
    "/api/v1/charting/templates",
    "/api/v1/charting/templates/",
)


def _text(response) -> str:
    if response["Content-Type"].startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return "\n".join(page.extract_text() for page in reader.pages)
    return response.content.decode()


def _leaks(text: str) -> list[str]:
    return [m for m in MARKERS if m.lower() in text.lower()]


def test_scheduler_reads_no_patient_answers_on_any_endpoint_or_document(
    answered, api_as, scheduler, clinician
):
    schema = api_as(clinician).get("openapi.json").json()
    values = _params(answered)
    sam = api_as(scheduler)
    walked: dict[str, int] = {}
    for path, operations in schema["paths"].items():
        if "get" not in operations or path.startswith("/api/v1/patient"):
            continue  # the patient's own API answers only the patient's link token
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)
        query = {"date": values["day"]} if "run-sheet" in path else {}
        response = sam.get(url, **query)
        assert response.status_code < 500, url
        walked[path] = response.status_code
        if response.status_code == 200 and not path.startswith(DEFINITIONS):
            assert _leaks(_text(response)) == [], url
    # The walk reached the places that used to leak, and they answered.
    outcomes = "/api/v1/charting/courses/{course_id}/outcomes"
    summary = "/api/v1/charting/courses/{course_id}/summary.pdf"
    record = "/api/v1/charting/sessions/{session_id}/record.pdf"
    assert walked[outcomes] == 403
    # Clinical documents are not for schedulers at all (issue 18: clinic.permissions.DOCUMENTS).
    assert walked[summary] == 403 and walked[record] == 403
    assert walked["/api/v1/charting/alerts"] == 200


def test_clinical_staff_still_read_the_answers(answered, api_as, nurse, clinician):
    for reader in (nurse, clinician):
        client = api_as(reader)
        outcomes = client.get(f"charting/courses/{answered.pk}/outcomes")
        assert outcomes.status_code == 200
        assert any(a["items"].get("item9") for o in outcomes.json() for a in o["administrations"])
        summary = client.get(f"charting/courses/{answered.pk}/summary.pdf")
        text = " ".join(_text(summary).split())  # table cells wrap lines
        assert "better off dead" in text and "Patient-rated scales" in text
        kinds = {a["kind"] for a in client.get("charting/alerts").json()}
        assert kinds == {"safety", "side_effect"}


def test_scheduler_pages_show_no_patient_answers(answered, client, scheduler):
    client.force_login(scheduler)
    first = session(answered, 1)
    pages = [
        "/",
        f"/courses/{answered.pk}/",
        f"/sessions/{first.pk}/",
        f"/patients/{answered.patient_id}/",
        "/site/",
        "/nurse/",
        "/grid/",
        f"/courses/{answered.pk}/outcomes/",
        "/alerts/",
    ]
    seen = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code < 500, url
        seen[url] = response.status_code
        if response.status_code == 200:
            assert _leaks(response.content.decode()) == [], url
    assert seen[f"/courses/{answered.pk}/outcomes/"] == 403
    assert seen[f"/courses/{answered.pk}/"] == 200


def test_summary_without_answers_says_what_is_left_out(answered, api_as, scheduler):
    # Since issue 18 a scheduler cannot open the summary at all (403 with the reason); a
    # summary built for a reader without the answers still says what it leaves out.
    refused = api_as(scheduler).get(f"charting/courses/{answered.pk}/summary.pdf")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only a nurse or clinician may open the course summary."
    data = course_summary_data(course_id=answered.pk, now=clock.now(), answers_shown=False)
    reader = PdfReader(io.BytesIO(CourseSummaryRenderer(data).render()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "nurses and clinicians only" in text
    # The rest of the summary is still there: the schedule.
    assert "Schedule" in text and dt.date(2026, 3, 9).strftime("%d %b %Y") in text
