"""Outcome logic that cannot mislead (issue 15 point 5): the baseline is the scale taken before
or at the first session (or one a clinician marks, with a reason); without one, the chart, the
API and the PDF say "no baseline" and compute no response or remission. The early-improvement
review waits for its session to be completed; a staff-entered scale satisfies the patient's due
point; the PDF never calls a staff-entered score a self-report."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from charting import scoring
from charting.documents.course_summary import CourseSummaryRenderer
from charting.models import EarlyReview, ScaleAdministration
from charting.selectors.documents.course_summary import course_summary_data
from charting.self_report import self_report_answer, self_report_submit
from clinic.errors import Conflict
from clinic.submissions import new_key
from tests.charting.documents_support import pdf_text
from tests.charting.self_report_support import (
    complete,
    day_of,
    patient_token,
    phq9,
    staff_phq9,
    staff_phq9_untied,
    tms_course,
)
from tests.pages.test_page_roles import client_for

D = dt.date


@pytest.fixture
def course(patient, scheduler):
    return tms_course(patient, scheduler)


def _pdf(course) -> str:
    now = day_of(course, 30, "20:00")
    text, _ = pdf_text(
        CourseSummaryRenderer(
            course_summary_data(course_id=course.pk, now=now, answers_shown=True)
        ).render()
    )
    return " ".join(text.split())


# --- the baseline rule (pure) ----------------------------------------------------------------


def _first():
    return scoring.FirstSession(number=1, local_date=D(2026, 3, 9))


def _taken(total, day, number=None, marked=False):
    return scoring.Taken(total=total, local_date=day, session_number=number, marked_baseline=marked)


def test_the_baseline_is_taken_before_or_at_the_first_session():
    before = _taken(20, D(2026, 3, 6))
    same_day = _taken(20, D(2026, 3, 9))
    tied = _taken(20, D(2026, 3, 10), number=1)
    assert scoring.baseline_index([before, _taken(9, D(2026, 4, 1))], first_session=_first()) == 0
    assert scoring.baseline_index([same_day], first_session=_first()) == 0
    assert scoring.baseline_index([tied], first_session=_first()) == 0
    # Nothing booked yet: whatever comes first is before treatment.
    assert scoring.baseline_index([_taken(20, D(2026, 5, 1))], first_session=None) == 0


def test_a_scale_first_taken_at_session_14_is_no_baseline():
    late = [_taken(20, D(2026, 3, 26), number=14), _taken(8, D(2026, 4, 3), number=20)]
    assert scoring.baseline_index(late, first_session=_first()) is None
    o = scoring.outcome("phq9", [20, 8], baseline_at=None)
    assert (o.baseline, o.change_pct, o.response, o.remission) == (None, None, None, None)
    assert (o.latest, o.trajectory) == (8, (20, 8))


def test_a_clinicians_mark_wins_over_the_rule():
    rows = [
        _taken(22, D(2026, 3, 9)),
        _taken(20, D(2026, 3, 26), 14, marked=True),
        _taken(8, D(2026, 4, 3)),
    ]
    assert scoring.baseline_index(rows, first_session=_first()) == 1
    o = scoring.outcome("phq9", [22, 20, 8], baseline_at=1)
    assert (o.baseline, o.change_pct, o.response) == (20, -60.0, True)


# --- the chart, the API and the PDF ---------------------------------------------------------


def test_the_api_gives_no_baseline_and_no_response_for_a_scale_first_taken_at_session_14(
    course, nurse, api_as
):
    staff_phq9(course, 14, 20, nurse)
    staff_phq9(course, 20, 8, nurse)
    with time_machine.travel(day_of(course, 20, "20:00"), tick=False):
        (phq,) = api_as(nurse).get(f"charting/courses/{course.pk}/outcomes").json()
    assert phq["trajectory"] == [20, 8]
    assert (phq["baseline"], phq["baseline_id"]) == (None, None)
    assert (phq["change_pct"], phq["response"], phq["remission"]) == (None, None, None)


def test_the_outcomes_page_and_the_pdf_say_no_baseline(course, nurse):
    staff_phq9(course, 14, 20, nurse)
    staff_phq9(course, 20, 8, nurse)
    with time_machine.travel(day_of(course, 20, "20:00"), tick=False):
        html = client_for(nurse).get(f"/courses/{course.pk}/outcomes/").content.decode()
    chart = html.split('id="chart-phq9"', 1)[1].split("</section>", 1)[0]
    assert "No baseline" in chart and "not computed" in chart
    assert "Response: <strong>" not in chart
    assert "response ≤" not in chart  # no response line drawn from a session-14 score
    flat = _pdf(course)
    assert "No baseline" in flat and "not computed" in flat
    assert "Response (50% or more below baseline): yes" not in flat
    assert "baseline 20" not in flat


def test_a_clinician_marks_a_baseline_with_a_reason(course, nurse, clinician, api_as):
    late = staff_phq9(course, 14, 20, nurse)
    staff_phq9(course, 20, 8, nurse)
    url = f"charting/courses/{course.pk}/scales/{late.pk}/baseline"
    with time_machine.travel(day_of(course, 20, "20:00"), tick=False):
        r = api_as(nurse).post(url, {"reason": "Transferred in"})
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
        r = api_as(clinician).post(url, {"reason": "  "})
        assert (r.status_code, r.json()["code"]) == (422, "reason_required")
        r = api_as(clinician).post(
            url, {"reason": "Transferred in at session 14; no earlier score"}
        )
        assert r.status_code == 200, r.json()
        assert r.json()["baseline_reason"].startswith("Transferred in")
        (phq,) = api_as(nurse).get(f"charting/courses/{course.pk}/outcomes").json()
    assert (phq["baseline"], phq["baseline_id"], phq["response"]) == (20, late.pk, True)
    row = ScaleAdministration.objects.get(pk=late.pk)
    assert row.baseline_marked_by == clinician
    assert (
        row.history.order_by("-history_id").first().baseline_reason.startswith("Transferred in")
    )  # recorded
    assert "Marked as baseline by" in _pdf(course)


def test_a_clinician_marks_a_baseline_from_the_outcomes_page(course, nurse, clinician):
    late = staff_phq9(course, 14, 20, nurse)
    with time_machine.travel(day_of(course, 20, "20:00"), tick=False):
        page = client_for(clinician).get(f"/courses/{course.pk}/outcomes/").content.decode()
        assert f'action="/courses/{course.pk}/outcomes/baseline/"' in page
        response = client_for(clinician).post(
            f"/courses/{course.pk}/outcomes/baseline/",
            {"form_key": new_key(), "administration": str(late.pk), "reason": "Transferred in"},
            follow=True,
        )
    assert response.status_code == 200
    assert ScaleAdministration.objects.get(pk=late.pk).baseline_reason == "Transferred in"


def test_a_score_on_the_first_sessions_day_is_the_baseline(course, nurse, api_as):
    staff_phq9_untied(course, day_of(course, 1, "18:00"), 20, nurse)
    staff_phq9(course, 20, 8, nurse)
    with time_machine.travel(day_of(course, 20, "20:00"), tick=False):
        (phq,) = api_as(nurse).get(f"charting/courses/{course.pk}/outcomes").json()
    assert (phq["baseline"], phq["response"]) == (20, True)


# --- the early-improvement review waits for its session to be completed ---------------------


def _own(course, number, total):
    return self_report_submit(
        course=course,
        scale="phq9",
        session_number=number,
        answers=phq9(total),
        now=day_of(course, number, "07:00"),
    )


def test_the_early_review_is_not_evaluated_before_session_10_is_completed(course, nurse):
    _own(course, 1, 20)
    result = _own(course, 10, 18)  # before session 10, in the morning
    assert result.early_review is None and not EarlyReview.objects.exists()
    complete(course, 10, by=nurse)
    review = EarlyReview.objects.get(course=course)
    assert review.status == "open" and (review.baseline_total, review.measured_total) == (20, 18)


def test_a_score_after_session_10_was_completed_evaluates_at_once(course, nurse):
    _own(course, 1, 20)
    complete(course, 10, by=nurse)
    assert not EarlyReview.objects.exists()
    staff_phq9(course, 10, 14, nurse)
    assert EarlyReview.objects.get(course=course).status == "not_needed"


def test_no_early_review_without_a_baseline(course, nurse):
    staff_phq9(course, 5, 20, nurse)
    complete(course, 10, by=nurse)
    staff_phq9(course, 10, 19, nurse)
    assert not EarlyReview.objects.exists()


# --- a staff-entered scale satisfies the patient's due point --------------------------------


def test_a_staff_phq9_satisfies_that_days_self_report(course, nurse, client):
    staff_phq9(course, 10, 15, nurse)
    token = patient_token(course.patient)
    with time_machine.travel(day_of(course, 10, "19:00"), tick=False):
        body = client.get(
            f"/api/v1/patient/courses/{course.pk}", headers={"X-Patient-Token": token}
        ).json()
        page = client.get(f"/p/{token}/reports/").content.decode()
    states = {(q["scale"], q["session_number"]): q["state"] for q in body["questionnaires"]}
    assert states[("phq9", 10)] == "recorded_in_clinic"
    assert states[("phq9", 1)] == "missed"  # the baseline point closed unanswered
    assert states[("phq9", 20)] == "upcoming"
    assert "PHQ-9" not in page.split("<h2>Questionnaires</h2>", 1)[1].split("<h2>", 1)[0]
    with pytest.raises(Conflict) as exc:
        self_report_answer(
            course=course,
            scale="phq9",
            session_number=10,
            item="item1",
            value=1,
            now=day_of(course, 10, "19:00"),
        )
    assert exc.value.code == "self_report_recorded_in_clinic"


# --- the PDF never calls a staff-entered score a self-report --------------------------------


def test_the_pdf_labels_a_staff_entered_phq9_as_clinician_entered(course, nurse):
    staff_phq9(course, 1, 20, nurse)
    _own(course, 10, 18)
    flat = _pdf(course)
    rows = re.findall(
        r"PHQ-9 \d\d \w\w\w 2026 (\d+) \d+ [a-z ]+? "
        r"(clinician-entered|patient, own device \(self-report\))",
        flat,
    )
    assert rows == [("1", "clinician-entered"), ("10", "patient, own device (self-report)")]
    assert flat.count("self-report") == 1  # only the patient's own report says so
