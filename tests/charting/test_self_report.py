"""Patients' own self-reports: due from the protocol, drafts, submission once, the safety
alert raised in the submission's transaction before the response, and the email on commit."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django_q.conf import Conf

from charting.models import Alert, EarlyReview, ScaleAdministration, SelfReport
from charting.self_report import self_report_answer, self_report_submit
from clinic.errors import Conflict
from tests.charting.self_report_support import (
    complete,
    day_of,
    patient_token,
    phq9,
    staff_phq9,
    tms_course,
)


@pytest.fixture
def course(patient, scheduler):
    return tms_course(patient, scheduler)


@pytest.fixture
def token(patient):
    return patient_token(patient)


def _patient_api(client, token):
    def call(method, path, data=None):
        headers = {"X-Patient-Token": token}
        if method == "get":
            return client.get(f"/api/v1/patient{path}", headers=headers)
        return getattr(client, method)(
            f"/api/v1/patient{path}",
            json.dumps(data or {}),
            content_type="application/json",
            headers=headers,
        )

    return call


def test_the_baseline_phq9_and_gad7_are_due_before_session_1(course, client, token):
    api = _patient_api(client, token)
    with time_machine.travel(day_of(course, 1, "07:00"), tick=False):
        body = api("get", f"/courses/{course.pk}").json()
    due = [(q["scale"], q["session_number"], q["state"]) for q in body["questionnaires"]]
    assert ("phq9", 1, "due") in due and ("gad7", 1, "due") in due
    assert ("phq9", 10, "upcoming") in due
    phq = next(q for q in body["questionnaires"] if q["scale"] == "phq9")
    assert phq["items"][8]["text"].startswith("Thoughts that you would be better off dead")
    assert phq["answer_labels"][0] == "Not at all"


def test_answers_are_a_resumable_draft_and_may_be_corrected_before_submitting(course):
    now = day_of(course, 1, "07:00")
    self_report_answer(
        course=course, scale="phq9", session_number=1, item="item1", value=2, now=now
    )
    self_report_answer(
        course=course, scale="phq9", session_number=1, item="item1", value=1, now=now
    )
    report = SelfReport.objects.get(course=course, scale="phq9")
    assert report.status == "draft" and report.answers == {"item1": 1}
    assert report.history.count() == 3  # created, answered, corrected: all kept
    result = self_report_submit(
        course=course, scale="phq9", session_number=1, answers=phq9(12), now=now
    )
    assert result.report.status == "submitted"
    admin = ScaleAdministration.objects.get(course=course)
    assert admin.source == "patient" and admin.recorded_by is None and admin.total == 12
    with pytest.raises(Conflict) as exc:
        self_report_answer(
            course=course, scale="phq9", session_number=1, item="item1", value=0, now=now
        )
    assert exc.value.code == "self_report_submitted"


def test_a_double_submission_records_once(course, client, token):
    api = _patient_api(client, token)
    path = f"/courses/{course.pk}/self-reports/phq9/1/submit"
    with time_machine.travel(day_of(course, 1, "07:00"), tick=False):
        first = api("post", path, {"answers": phq9(14, item9=1)})
        second = api("post", path, {"answers": phq9(14, item9=1)})
    assert first.status_code == 200 and second.status_code == 200
    assert first.json()["already_submitted"] is False
    assert second.json()["already_submitted"] is True
    assert ScaleAdministration.objects.filter(course=course).count() == 1
    assert SelfReport.objects.filter(course=course).count() == 1
    assert Alert.objects.filter(course=course, kind="safety").count() == 1
    # Both responses show the crisis resources.
    assert "988" in " ".join(second.json()["crisis"]["resources"])


# serialized_rollback: the flush after a transactional test drops the role groups.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_item9_positive_raises_the_alert_before_the_response_is_built(
    course, client, token, monkeypatch
):
    """The view builds the patient's response after the alert row is committed: patch the
    response builder to look in the database (from outside any transaction) when it runs."""
    from charting.api import patient_link

    seen = {}
    real = patient_link.result_out

    def spy(course_, result):
        seen["in_atomic"] = transaction.get_connection().in_atomic_block
        seen["alerts"] = list(
            Alert.objects.filter(course=course_, kind="safety").values_list("message", flat=True)
        )
        return real(course_, result)

    monkeypatch.setattr(patient_link, "result_out", spy)
    api = _patient_api(client, token)
    with time_machine.travel(day_of(course, 1, "07:00"), tick=False):
        response = api(
            "put", f"/courses/{course.pk}/self-reports/phq9/1/answers/item9", {"value": 2}
        )
    assert response.status_code == 200
    assert len(seen["alerts"]) == 1 and "item 9" in seen["alerts"][0]
    assert seen["in_atomic"] is False  # committed, not just written in an open transaction
    crisis = response.json()["crisis"]
    assert crisis["resources"][0].startswith("If you are in immediate danger, call 911")
    assert "call you today" in crisis["callback_promise"]


def test_the_safety_alert_is_raised_once_and_kept_when_the_answer_is_changed(course):
    now = day_of(course, 1, "07:00")
    for value in (1, 3, 0):
        self_report_answer(
            course=course, scale="phq9", session_number=1, item="item9", value=value, now=now
        )
    alerts = Alert.objects.filter(course=course, kind="safety")
    assert alerts.count() == 1
    report = SelfReport.objects.get(course=course)
    assert report.safety_positive is True  # said once, followed up, never silently dropped
    result = self_report_submit(
        course=course, scale="phq9", session_number=1, answers=phq9(10, item9=0), now=now
    )
    assert result.safety_positive is True and result.alert_raised is False
    assert alerts.get().scale_id == result.report.administration_id


def test_the_alert_email_goes_to_the_sites_clinicians_through_the_worker(
    course, clinician, monkeypatch, django_capture_on_commit_callbacks
):
    # The worker's job, run in-process: django-q2's own sync mode.
    monkeypatch.setattr(Conf, "SYNC", True)
    clinician.email = "carl@clinic.example"
    clinician.save()
    with django_capture_on_commit_callbacks(execute=True):
        self_report_answer(
            course=course,
            scale="phq9",
            session_number=1,
            item="item9",
            value=1,
            now=day_of(course, 1, "07:00"),
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carl@clinic.example"] and "Urgent" in message.subject
    assert course.patient.family_name not in message.body  # no patient details by email


def test_a_rolled_back_submission_sends_no_email(course, clinician, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)
    clinician.email = "carl@clinic.example"
    clinician.save()
    with pytest.raises(RuntimeError), transaction.atomic():
        self_report_answer(
            course=course,
            scale="phq9",
            session_number=1,
            item="item9",
            value=1,
            now=day_of(course, 1, "07:00"),
        )
        raise RuntimeError
    assert mail.outbox == [] and not Alert.objects.exists()


def test_a_point_that_is_not_open_is_refused(course, client, token):
    api = _patient_api(client, token)
    with time_machine.travel(day_of(course, 1, "07:00"), tick=False):
        response = api(
            "post", f"/courses/{course.pk}/self-reports/phq9/10/submit", {"answers": phq9(5)}
        )
    assert response.status_code == 409 and response.json()["code"] == "self_report_not_due"
    assert not ScaleAdministration.objects.exists()


def test_an_incomplete_submission_is_a_422_and_keeps_the_draft(course, client, token):
    api = _patient_api(client, token)
    with time_machine.travel(day_of(course, 1, "07:00"), tick=False):
        api("put", f"/courses/{course.pk}/self-reports/phq9/1/answers/item1", {"value": 1})
        response = api("post", f"/courses/{course.pk}/self-reports/phq9/1/submit", {})
    assert response.status_code == 422 and response.json()["code"] == "incomplete"
    assert SelfReport.objects.get().answers == {"item1": 1}


# --- the early-improvement review --------------------------------------------------------


def _self_report_at(course, number, total):
    # In the evening of session `number`: the session is over (the review waits for it).
    complete(course, number)
    return self_report_submit(
        course=course,
        scale="phq9",
        session_number=number,
        answers=phq9(total),
        now=day_of(course, number),
    )


def test_review_raised_at_session_10_with_10_percent_improvement(course):
    _self_report_at(course, 1, 20)
    result = _self_report_at(course, 10, 18)
    review = EarlyReview.objects.get(course=course)
    assert result.early_review == review
    assert review.status == "open" and float(review.improvement_percent or 0) == 10.0
    assert (review.baseline_total, review.measured_total, review.at_session) == (20, 18, 10)
    assert "negative predictive value of 74%" in review.evidence
    assert review.citation.startswith("Iowa 2022")


def test_no_review_with_30_percent_improvement(course):
    _self_report_at(course, 1, 20)
    _self_report_at(course, 10, 14)
    review = EarlyReview.objects.get(course=course)
    assert review.status == "not_needed" and float(review.improvement_percent or 0) == 30.0


def test_staff_scores_count_for_the_review_too(course, nurse):
    staff_phq9(course, 1, 20, nurse)
    assert not EarlyReview.objects.exists()
    complete(course, 10, by=nurse)
    staff_phq9(course, 10, 19, nurse)
    assert EarlyReview.objects.get(course=course).status == "open"
