"""The form template format and value checks (pure: no database)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from charting.answers import AnswersInvalid, ValueProblem, clean_answers, clean_value, flags_for
from charting.spec import FormField, TemplateError, parse_template

LIBRARY = Path(__file__).resolve().parents[2] / "charting" / "library"
PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols" / "library"


def _load(slug: str) -> dict:
    return json.loads((LIBRARY / f"{slug}.json").read_text())


def test_every_builtin_template_parses_and_cites_sources():
    slugs = sorted(p.stem for p in LIBRARY.glob("*.json"))
    assert slugs == [
        "ect-course-consent",
        "ect-pre-treatment",
        "ect-recovery",
        "esketamine-post-dose",
        "esketamine-pre-dose",
        "tms-post-session",
        "tms-safety-screen",
        "tms-session-check",
    ]
    for slug in slugs:
        spec = parse_template(_load(slug))
        assert spec.slug == slug
        assert spec.sources, slug


def test_every_form_a_builtin_protocol_names_exists_with_the_right_kind():
    kinds = {p.stem: parse_template(_load(p.stem)).kind for p in LIBRARY.glob("*.json")}
    for path in PROTOCOLS.glob("*.json"):
        forms = json.loads(path.read_text())["spec"].get("forms", {})
        for role, slug in forms.items():
            expected = "observation" if role == "observation" else "screening"
            assert kinds.get(slug) == expected, f"{path.name}: {role} -> {slug}"


def test_esketamine_checkpoints_are_timed_from_the_dose():
    spec = parse_template(_load("esketamine-post-dose"))
    assert spec.anchor == "dose"
    assert spec.minimum_observation_minutes == 120
    timing = [(c.key, c.offset_minutes, c.before_anchor, c.discharge) for c in spec.checkpoints]
    assert timing == [
        ("pre_dose", 0, True, False),
        ("post_40", 40, False, False),
        ("discharge", 120, False, True),
    ]


def test_errors_name_the_path():
    data = _load("esketamine-post-dose")
    data["checkpoints"][1]["fields"][0]["limits"] = {"min": 0}
    data["checkpoints"][2]["fields"][2]["hard_stop_wen"] = [True]
    with pytest.raises(TemplateError) as info:
        parse_template(data)
    problems = info.value.problems
    assert "checkpoints[1].fields[0].limits: only number fields have limits" in problems
    assert "checkpoints[2].fields[2].hard_stop_wen: is not a known field" in problems


def test_discharge_cannot_be_due_before_the_minimum():
    data = _load("esketamine-post-dose")
    data["checkpoints"][2]["offset_minutes"] = 90
    with pytest.raises(TemplateError) as info:
        parse_template(data)
    assert "discharge checkpoint cannot be due before" in str(info.value)


def test_flag_answers_must_be_valid_for_the_field():
    with pytest.raises(ValueError, match="is not one of the choices"):
        FormField.model_validate(
            dict(
                key="sedation",
                label="Sedation",
                type="choice",
                choices=[{"value": "none", "label": "None"}],
                alert_when=["severe"],
            )
        )


def test_report_sources_must_name_real_checkpoint_fields():
    data = _load("esketamine-post-dose")
    data["report"].append({"key": "x", "label": "X", "source": "checkpoint.post_40.pulse"})
    with pytest.raises(TemplateError, match="names no checkpoint field"):
        parse_template(data)


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


def test_checkpoint_windows_default_from_the_offset():
    spec = parse_template(_load("esketamine-post-dose"))
    pre, post_40, discharge = spec.checkpoints
    assert (pre.window, post_40.window, discharge.window) == (60, 15, None)
    dose = dt.datetime(2026, 3, 9, 13, 15, tzinfo=dt.UTC)
    due = dose + dt.timedelta(minutes=40)
    minute = dt.timedelta(minutes=1)
    assert post_40.minutes_off_window(due, due + 15 * minute) == 0
    assert post_40.minutes_off_window(due, dose + 340 * minute) == 285
    assert post_40.minutes_off_window(due, dose + 15 * minute) == -10
    assert pre.minutes_off_window(dose, dose - 50 * minute) == 0
    assert pre.minutes_off_window(dose, dose + 10 * minute) == 10
    assert discharge.minutes_off_window(dose + 120 * minute, dose + 600 * minute) == 0
    data = _load("esketamine-post-dose")
    data["checkpoints"][1]["window_minutes"] = 30
    assert parse_template(data).checkpoints[1].minutes_off_window(due, due + 30 * minute) == 0
    data["checkpoints"][2]["window_minutes"] = 30
    with pytest.raises(TemplateError, match="the discharge checkpoint has no window"):
        parse_template(data)
