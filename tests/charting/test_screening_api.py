"""Screening: course screen before check-in, session screen before start, hard stops that only
a clinician's override with a reason clears, review items, roles and sites."""

from __future__ import annotations

import time_machine

from charting.models import ScreeningResponse
from tests.charting.helpers import safe_answers


def _before(t0):
    return time_machine.travel(t0.replace(hour=12), tick=False)


def test_check_in_refused_until_the_course_screening_is_complete(api_as, nurse, tms, t0):
    course, session = tms
    api = api_as(nurse)
    with _before(t0):
        r = api.post(f"sessions/{session.pk}/check_in")
        assert r.status_code == 409
        assert r.json()["code"] == "course_screening_required"
        assert "tms-safety-screen" in r.json()["message"]

        r = api.post(
            f"charting/courses/{course.pk}/screening",
            {"answers": safe_answers("tms-safety-screen")},
        )
        assert r.status_code == 201, r.json()
        assert r.json()["status"] == "clear"
        assert api.post(f"sessions/{session.pk}/check_in").status_code == 200


def test_start_refused_until_the_session_screening_is_complete(api_as, nurse, tms, t0):
    course, session = tms
    api = api_as(nurse)
    with _before(t0):
        api.post(
            f"charting/courses/{course.pk}/screening",
            {"answers": safe_answers("tms-safety-screen")},
        )
        api.post(f"sessions/{session.pk}/check_in")
        r = api.post(f"sessions/{session.pk}/start")
        assert r.status_code == 409
        assert r.json()["code"] == "session_screening_required"

        r = api.post(
            f"charting/sessions/{session.pk}/screening",
            {"answers": safe_answers("tms-session-check")},
        )
        assert r.status_code == 201
        assert api.post(f"sessions/{session.pk}/start").status_code == 200


def test_hard_stop_blocks_until_a_clinician_overrides_with_a_reason(
    api_as, nurse, clinician, esk, t0
):
    _, session = esk
    nurse_api, doc_api = api_as(nurse), api_as(clinician)
    answers = {**safe_answers("esketamine-pre-dose"), "ride_home": False}
    with _before(t0):
        r = nurse_api.post(f"charting/sessions/{session.pk}/screening", {"answers": answers})
        assert r.status_code == 201
        body = r.json()
        assert body["status"] == "hard_stop"
        assert body["blocking"] is True
        assert body["hard_stops"][0]["key"] == "ride_home"
        screening_id = body["id"]

        nurse_api.post(f"sessions/{session.pk}/check_in")
        r = nurse_api.post(f"sessions/{session.pk}/start")
        assert r.status_code == 409
        assert r.json()["code"] == "screening_hard_stop"
        assert "Ride home arranged" in r.json()["message"]

        # A nurse cannot override; a review does not clear a hard stop; a reason is required.
        r = nurse_api.post(f"charting/screenings/{screening_id}/override", {"reason": "ok"})
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
        r = doc_api.post(f"charting/screenings/{screening_id}/review", {"note": "fine"})
        assert (r.status_code, r.json()["code"]) == (409, "hard_stop_needs_override")
        r = doc_api.post(f"charting/screenings/{screening_id}/override", {"reason": "  "})
        assert (r.status_code, r.json()["code"]) == (422, "reason_required")

        r = doc_api.post(
            f"charting/screenings/{screening_id}/override",
            {"reason": "Driver confirmed by phone; will wait on site"},
        )
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "overridden"
        assert body["override_by"] == "carl"
        assert body["override_at"].startswith("2026-03-09T12:00")
        assert body["override_reason"] == "Driver confirmed by phone; will wait on site"

        assert nurse_api.post(f"sessions/{session.pk}/start").status_code == 200
        r = doc_api.post(f"charting/screenings/{screening_id}/override", {"reason": "again"})
        assert r.json()["code"] == "already_overridden"


def test_review_item_blocks_until_a_clinician_reviews(api_as, nurse, clinician, tms, t0):
    course, session = tms
    nurse_api = api_as(nurse)
    with _before(t0):
        answers = {**safe_answers("tms-safety-screen"), "seizure_history": True}
        r = nurse_api.post(f"charting/courses/{course.pk}/screening", {"answers": answers})
        assert r.json()["status"] == "needs_review"
        r = nurse_api.post(f"sessions/{session.pk}/check_in")
        assert (r.status_code, r.json()["code"]) == (409, "screening_needs_review")

        r = nurse_api.post(f"charting/screenings/{r.json()['details']['screening_id']}/review")
        assert r.status_code == 403
        screening = ScreeningResponse.objects.get(course=course, level="course")
        r = api_as(clinician).post(
            f"charting/screenings/{screening.pk}/review", {"note": "Childhood febrile seizure only"}
        )
        assert r.status_code == 200
        assert r.json()["status"] == "reviewed"
        assert r.json()["reviewed_by"] == "carl"
        assert nurse_api.post(f"sessions/{session.pk}/check_in").status_code == 200


def test_out_of_range_vital_in_a_checklist_needs_review(api_as, nurse, ect, t0):
    _, session = ect
    answers = {**safe_answers("ect-pre-treatment"), "bp": "190/100"}
    with _before(t0):
        r = api_as(nurse).post(f"charting/sessions/{session.pk}/screening", {"answers": answers})
    assert r.json()["status"] == "needs_review"
    assert "systolic 190 mmHg is above 180" in r.json()["review_items"][0]["message"]


def test_bad_answers_are_refused_and_nothing_is_saved(api_as, nurse, ect, t0):
    _, session = ect
    api = api_as(nurse)
    url = f"charting/sessions/{session.pk}/screening"
    cases = [
        ({**safe_answers("ect-pre-treatment"), "bp": "300/80"}, "out_of_bounds", "bp.systolic"),
        ({**safe_answers("ect-pre-treatment"), "heart_rate": "fast"}, "invalid_value", "number"),
        ({**safe_answers("ect-pre-treatment"), "fastng": True}, "unknown_field", "fastng"),
        (
            {k: v for k, v in safe_answers("ect-pre-treatment").items() if k != "escort_arranged"},
            "missing_answer",
            "escort_arranged: is required",
        ),
    ]
    with _before(t0):
        for answers, code, text in cases:
            r = api.post(url, {"answers": answers})
            assert r.status_code == 422, answers
            assert r.json()["code"] == code
            assert text in r.json()["message"]
        r = api.post(url, {"answers": safe_answers("ect-pre-treatment"), "extra": 1})
        assert (r.status_code, r.json()["code"]) == (422, "invalid")
    assert not ScreeningResponse.objects.exists()


def test_a_screening_is_completed_once(api_as, nurse, ect, t0):
    _, session = ect
    api = api_as(nurse)
    url = f"charting/sessions/{session.pk}/screening"
    with _before(t0):
        assert api.post(url, {"answers": safe_answers("ect-pre-treatment")}).status_code == 201
        r = api.post(url, {"answers": safe_answers("ect-pre-treatment")})
    assert (r.status_code, r.json()["code"]) == (409, "screening_exists")


def test_scheduler_reads_status_but_cannot_complete_screenings(api_as, scheduler, tms, t0):
    course, session = tms
    api = api_as(scheduler)
    r = api.post(
        f"charting/courses/{course.pk}/screening", {"answers": safe_answers("tms-safety-screen")}
    )
    assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
    r = api.get(f"charting/sessions/{session.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["check_in"] == {
        "allowed": False,
        "code": "course_screening_required",
        "message": body["check_in"]["message"],
    }
    assert body["course_screening_form"] == "tms-safety-screen"


def test_other_sites_see_404(api_as, outsider, nurse, tms, t0):
    course, session = tms
    api = api_as(outsider)
    assert api.get(f"charting/sessions/{session.pk}").status_code == 404
    r = api.post(
        f"charting/courses/{course.pk}/screening", {"answers": safe_answers("tms-safety-screen")}
    )
    assert (r.status_code, r.json()["code"]) == (404, "course_not_found")
    s = api_as(nurse).post(
        f"charting/courses/{course.pk}/screening", {"answers": safe_answers("tms-safety-screen")}
    )
    r = api.post(f"charting/screenings/{s.json()['id']}/review")
    assert r.status_code == 404


def test_session_screening_refused_once_the_session_has_started(api_as, nurse, esk, t0):
    _, session = esk
    session.status = "in_progress"
    session.save()
    with _before(t0):
        r = api_as(nurse).post(
            f"charting/sessions/{session.pk}/screening",
            {"answers": safe_answers("esketamine-pre-dose")},
        )
    assert (r.status_code, r.json()["code"]) == (409, "session_not_open")
