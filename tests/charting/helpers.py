"""Answers that pass each built-in checklist, to change one item at a time in tests."""

from __future__ import annotations

from typing import Any


def safe_answers(slug: str) -> dict[str, Any]:
    if slug == "tms-safety-screen":
        keys = [
            "cochlear_implant",
            "implanted_pulse_generator",
            "medication_pump",
            "metal_in_head",
            "pacemaker_or_icd",
            "seizure_history",
            "family_seizure_history",
            "head_injury_stroke_icp",
            "possible_pregnancy",
            "threshold_raising_medication",
        ]
        return dict.fromkeys(keys, False)
    if slug == "tms-session-check":
        keys = [
            "new_metal_or_implant",
            "medication_changed",
            "missed_medication",
            "sleep_deprived",
            "alcohol_or_drugs",
            "seizure_or_fainting",
            "possible_pregnancy",
        ]
        return {**dict.fromkeys(keys, False), "hearing_protection": True}
    if slug == "ect-pre-treatment":
        return {
            "consent_current": True,
            "fasting_confirmed": True,
            "last_solid_food": "2026-03-08T20:00:00-04:00",
            "escort_arranged": True,
            "lithium_taken": False,
            "benzodiazepine_taken": False,
            "antihypertensives_given": "not_prescribed",
            "pregnancy_test": "not_applicable",
            "bp": "128/82",
            "heart_rate": 72,
            "spo2": 98,
        }
    if slug == "ect-course-consent":
        return {
            "informed_consent_signed": True,
            "pre_anaesthesia_evaluation": True,
            "ecg_and_labs": True,
            "medication_plan": True,
            "no_driving_advised": True,
        }
    if slug == "esketamine-pre-dose":
        return {
            "rems_enrolled": True,
            "ride_home": True,
            "no_food_2h": True,
            "no_liquids_30min": True,
            "nasal_spray_within_1h": False,
            "first_treatment": True,
            "benzodiazepines": True,
            "sedative_hypnotics": False,
            "psychostimulants": False,
            "maois": False,
            "opioids": False,
        }
    raise KeyError(slug)


def check_in_and_start(api, session_id: int) -> None:
    r = api.post(f"sessions/{session_id}/check_in")
    assert r.status_code == 200, r.json()
    r = api.post(f"sessions/{session_id}/start")
    assert r.status_code == 200, r.json()


# Esketamine post-dose values a nurse records at 40 minutes (an alert-range blood pressure, not a
# severe one) and at discharge (ready to leave).
POST_40_VALUES: dict[str, Any] = {
    "bp": "150/95",
    "spo2": 97,
    "sedation": "mild",
    "dissociation": "mild",
    "respiratory_depression": False,
}
DISCHARGE_VALUES: dict[str, Any] = {
    "bp": "128/80",
    "spo2": 98,
    "sedation_resolved": True,
    "dissociation_resolved": True,
    "respiratory_depression": False,
    "vitals_acceptable": True,
    "ready_to_leave_minutes": 95,
    "ride_confirmed": True,
}
