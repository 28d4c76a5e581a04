"""Outcome scales through the API: scoring, baseline/trajectory/response/remission, the PHQ-9
item 9 safety alert a clinician must acknowledge, and who may rate what."""

from __future__ import annotations

import pytest
import time_machine

from charting.models import Alert, ScaleAdministration
from tests.support.clock import local


def _phq(*scores: int) -> dict[str, int]:
    return {f"item{i}": s for i, s in enumerate(scores, start=1)}


@pytest.fixture(autouse=True)
def _now(site):
    with time_machine.travel(local(site, "2026-04-20", "12:00"), tick=False):
        yield


def _post(api, course, scale, items, day, session_id=None):
    body = {"scale": scale, "items": items, "administered_at": f"{day}T09:00:00-04:00"}
    if session_id is not None:
        body["session_id"] = session_id
    return api.post(f"charting/courses/{course.pk}/scales", body)


def test_phq9_course_trajectory_response_and_remission(api_as, nurse, scheduler, tms):
    course, session = tms
    api = api_as(nurse)
    r = _post(api, course, "phq9", _phq(3, 3, 2, 3, 2, 2, 2, 2, 0), "2026-03-09", session.pk)
    assert r.status_code == 201, r.json()
    assert (r.json()["total"], r.json()["band"]) == (19, "moderately severe")
    _post(api, course, "phq9", _phq(2, 2, 1, 2, 1, 1, 1, 1, 0), "2026-03-23")
    _post(api, course, "phq9", _phq(1, 1, 0, 1, 0, 0, 0, 1, 0), "2026-04-06")
    _post(api, course, "gad7", {f"item{i}": 2 for i in range(1, 8)}, "2026-03-09")

    # The answers behind the totals are for clinical staff (patient_answers_visible).
    assert api_as(scheduler).get(f"charting/courses/{course.pk}/outcomes").status_code == 403
    r = api_as(nurse).get(f"charting/courses/{course.pk}/outcomes")
    assert r.status_code == 200
    by_scale = {o["scale"]: o for o in r.json()}
    phq = by_scale["phq9"]
    assert phq["baseline"] == 19
    assert phq["trajectory"] == [19, 11, 4]
    assert phq["latest_band"] == "minimal"
    assert phq["response"] is True
    assert phq["remission"] is True
    assert phq["change_pct"] == -78.9
    gad = by_scale["gad7"]
    assert (gad["baseline"], gad["response"], gad["remission"]) == (14, False, False)


def test_baseline_is_the_earliest_administration_not_the_first_entered(api_as, nurse, tms):
    course, _ = tms
    api = api_as(nurse)
    _post(api, course, "phq9", _phq(1, 1, 1, 1, 1, 1, 1, 1, 0), "2026-03-30")
    _post(api, course, "phq9", _phq(2, 2, 2, 2, 2, 2, 2, 2, 0), "2026-03-09")
    phq = api.get(f"charting/courses/{course.pk}/outcomes").json()[0]
    assert phq["trajectory"] == [16, 8]
    assert phq["response"] is True


def test_phq9_item9_raises_a_safety_alert_a_clinician_must_acknowledge(
    api_as, nurse, clinician, tms
):
    course, _session = tms
    r = _post(api_as(nurse), course, "phq9", _phq(1, 1, 1, 1, 1, 1, 1, 1, 2), "2026-03-09")
    assert r.json()["safety_positive"] is True
    alert = Alert.objects.get(kind="safety")
    assert alert.course_id == course.pk
    assert "more than half the days" in alert.message

    open_alerts = api_as(nurse).get("charting/alerts", course_id=course.pk).json()
    assert [a["id"] for a in open_alerts] == [alert.pk]

    r = api_as(nurse).post(f"charting/alerts/{alert.pk}/acknowledge", {"note": "seen"})
    assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
    r = api_as(clinician).post(f"charting/alerts/{alert.pk}/acknowledge", {"note": ""})
    assert (r.status_code, r.json()["code"]) == (422, "note_required")
    r = api_as(clinician).post(
        f"charting/alerts/{alert.pk}/acknowledge",
        {"note": "Same-day assessment: passive ideation, no plan; safety plan updated"},
    )
    assert r.status_code == 200
    assert r.json()["acknowledged_by"] == "carl"
    assert api_as(nurse).get("charting/alerts", course_id=course.pk).json() == []
    r = api_as(clinician).post(f"charting/alerts/{alert.pk}/acknowledge", {"note": "again"})
    assert r.json()["code"] == "already_acknowledged"


def test_madrs_is_clinician_rated(api_as, nurse, clinician, tms):
    course, _ = tms
    items = {
        k: 2
        for k in [
            "apparent_sadness",
            "reported_sadness",
            "inner_tension",
            "reduced_sleep",
            "reduced_appetite",
            "concentration_difficulties",
            "lassitude",
            "inability_to_feel",
            "pessimistic_thoughts",
            "suicidal_thoughts",
        ]
    }
    r = _post(api_as(nurse), course, "madrs", items, "2026-03-09")
    assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
    r = _post(api_as(clinician), course, "madrs", items, "2026-03-09")
    assert (r.status_code, r.json()["total"], r.json()["band"]) == (201, 20, "moderate")


def test_scheduler_cannot_record_scales(api_as, scheduler, tms):
    course, _ = tms
    r = _post(api_as(scheduler), course, "phq9", _phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "2026-03-09")
    assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")


@pytest.mark.parametrize(
    ("scale", "items", "code"),
    [
        ("phq9", _phq(0, 0, 0, 0, 0, 0, 0, 0, 4), "item_out_of_range"),
        ("phq9", _phq(0, 0, 0, 0, 0, 0, 0, 0), "missing_item"),
        ("phq9", {**_phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "item10": 0}, "unknown_item"),
        ("phq10", _phq(0), "unknown_scale"),
    ],
)
def test_bad_items_are_refused(api_as, nurse, tms, scale, items, code):
    course, _ = tms
    r = _post(api_as(nurse), course, scale, items, "2026-03-09")
    assert (r.status_code, r.json()["code"]) == (422, code)
    assert not ScaleAdministration.objects.exists()


def test_future_administration_and_foreign_session_are_refused(api_as, nurse, tms):
    course, _ = tms
    r = _post(api_as(nurse), course, "phq9", _phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "2026-05-01")
    assert (r.status_code, r.json()["code"]) == (422, "time_in_future")
    r = _post(api_as(nurse), course, "phq9", _phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "2026-03-09", 999999)
    assert (r.status_code, r.json()["code"]) == (404, "session_not_found")


def test_scale_definitions_embed_phq9_text_but_not_madrs_anchors(api_as, scheduler):
    scales = {s["name"]: s for s in api_as(scheduler).get("charting/scales").json()}
    assert set(scales) == {"phq9", "gad7", "madrs", "qids_sr16"}
    assert scales["phq9"]["items"][0]["text"] == "Little interest or pleasure in doing things"
    assert scales["madrs"]["items"][0] == {
        "key": "apparent_sadness",
        "text": "apparent sadness",
        "max": 6,
    }


def test_other_site_cannot_read_outcomes(api_as, outsider, tms):
    course, _ = tms
    r = api_as(outsider).get(f"charting/courses/{course.pk}/outcomes")
    assert (r.status_code, r.json()["code"]) == (404, "course_not_found")
