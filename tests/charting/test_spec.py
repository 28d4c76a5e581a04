"""The form template format (pure: no database); answers to it: tests/charting/test_answers.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

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
