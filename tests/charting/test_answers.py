"""Answers to a form template's fields: cleaning and flags (pure: no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from charting.answers import AnswersInvalid, ValueProblem, clean_answers, clean_value, flags_for
from charting.spec import FormField, parse_template

LIBRARY = Path(__file__).resolve().parents[2] / "charting" / "library"


def _load(slug: str) -> dict:
    return json.loads((LIBRARY / f"{slug}.json").read_text())


BP = FormField.model_validate(
    dict(
        key="bp",
        label="Blood pressure",
        type="blood_pressure",
        systolic={"min": 50, "max": 260, "alert_above": 180},
        diastolic={"min": 20, "max": 160, "alert_above": 110},
    )
)


def test_blood_pressure_accepts_object_or_text():
    assert clean_value(BP, {"systolic": 120, "diastolic": 80}) == {"systolic": 120, "diastolic": 80}
    assert clean_value(BP, "135/85") == {"systolic": 135, "diastolic": 85}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"systolic": 300, "diastolic": 80}, "out_of_bounds"),
        ({"systolic": 120, "diastolic": 10}, "out_of_bounds"),
        ({"systolic": 80, "diastolic": 90}, "out_of_bounds"),
        ({"systolic": "high", "diastolic": 80}, "invalid_value"),
        ({"systolic": 120}, "invalid_value"),
        (120, "invalid_value"),
    ],
)
def test_impossible_or_malformed_blood_pressure_is_refused(raw, code):
    with pytest.raises(ValueProblem) as info:
        clean_value(BP, raw)
    assert info.value.code == code


def test_systolic_300_message_says_impossible():
    with pytest.raises(ValueProblem, match=r"bp.systolic: 300 mmHg is impossible"):
        clean_value(BP, {"systolic": 300, "diastolic": 80})


def test_alert_range_is_accepted_and_flagged():
    value = clean_value(BP, {"systolic": 182, "diastolic": 100})
    flags = flags_for(BP, value)
    assert [f.kind for f in flags] == ["alert"]
    assert "systolic 182 mmHg is above 180" in flags[0].message
    assert flags_for(BP, {"systolic": 180, "diastolic": 110}) == []


def test_number_type_and_integer_checks():
    field = FormField.model_validate(
        dict(
            key="spo2",
            label="SpO2",
            type="number",
            integer=True,
            limits={"min": 50, "max": 100, "alert_below": 93},
        )
    )
    assert clean_value(field, 97) == 97
    for bad in (True, "97", 97.5, float("nan"), float("inf")):
        with pytest.raises(ValueProblem):
            clean_value(field, bad)
    assert [f.kind for f in flags_for(field, 90)] == ["alert"]


def test_yes_no_hard_stop_and_review_flags():
    stop = FormField.model_validate(
        dict(key="consent", label="Consent", type="yes_no", hard_stop_when=[False])
    )
    assert [f.kind for f in flags_for(stop, False)] == ["hard_stop"]
    assert flags_for(stop, True) == []
    with pytest.raises(ValueProblem):
        clean_value(stop, "no")


def test_time_accepts_clock_time_or_aware_datetime():
    field = FormField.model_validate(dict(key="last_meal", label="Last meal", type="time"))
    assert clean_value(field, "06:30") == "06:30"
    assert clean_value(field, "2026-03-09T06:30:00-04:00") == "2026-03-09T10:30:00Z"
    for bad in ("25:00", "2026-03-09T06:30:00", 630):
        with pytest.raises(ValueProblem):
            clean_value(field, bad)


def test_clean_answers_reports_every_problem_unknown_first():
    spec = parse_template(_load("tms-session-check"))
    answers: dict[str, Any] = {f.key: False for f in spec.fields if f.type == "yes_no"}
    answers["hearing_protection"] = "yes"
    answers["sleep_deprivd"] = True
    del answers["alcohol_or_drugs"]
    with pytest.raises(AnswersInvalid) as info:
        clean_answers(spec.fields, answers, require_all=True)
    assert info.value.code == "unknown_field"
    assert [p.code for p in info.value.problems] == [
        "unknown_field",
        "invalid_value",
        "missing_answer",
    ]


def test_blood_pressure_is_one_flag_naming_both_parts():
    flags = flags_for(BP, {"systolic": 186, "diastolic": 112})
    assert len(flags) == 1
    assert flags[0].message == (
        "Blood pressure 186/112 mmHg: systolic 186 mmHg is above 180, "
        "diastolic 112 mmHg is above 110"
    )
    assert flags[0].severe is False


def test_severe_range_marks_the_flag_severe():
    field = FormField.model_validate(
        dict(
            key="bp",
            label="Blood pressure",
            type="blood_pressure",
            systolic={"alert_above": 160, "severe_above": 180},
            diastolic={"alert_above": 100, "severe_above": 110},
        )
    )
    [plain] = flags_for(field, {"systolic": 165, "diastolic": 95})
    assert (plain.severe, plain.message.endswith("is above 160")) == (False, True)
    [severe] = flags_for(field, {"systolic": 170, "diastolic": 112})
    assert severe.severe is True
    assert "diastolic 112 mmHg is above 110" in severe.message
    answer = FormField.model_validate(
        dict(key="resp", label="Respiratory depression", type="yes_no", severe_when=[True])
    )
    assert [(f.kind, f.severe) for f in flags_for(answer, True)] == [("alert", True)]
    with pytest.raises(ValueError, match="severe_above: must be at least alert_above"):
        FormField.model_validate(
            dict(key="n", label="N", type="number", limits={"alert_above": 9, "severe_above": 8})
        )
