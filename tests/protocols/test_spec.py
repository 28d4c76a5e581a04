"""Protocol spec validation: every problem is reported as "path: message"."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from protocols.spec import SpecError, parse_spec

VALID: dict[str, Any] = {
    "modality": "tms",
    "phases": [
        {"name": "acute", "sessions": 30, "sessions_per_week": 5},
        {
            "name": "accelerated",
            "weeks": 1,
            "sessions_per_week": 5,
            "sessions_per_day": 10,
            "min_minutes_between_starts": 50,
        },
    ],
    "timing": {
        "procedure_minutes": 10,
        "observation_minutes": 15,
        "procedure_holds": ["tms_chair"],
    },
    "outcomes": [{"scale": "phq9", "weekly": True, "phase_starts": ["accelerated"]}],
}


def _problems(change) -> list[str]:
    data = copy.deepcopy(VALID)
    change(data)
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def test_valid_spec_parses_and_counts_sessions():
    parsed = parse_spec(VALID)

    assert parsed.total_sessions == 30 + 50
    assert [p.effective_min_days_between for p in parsed.phases] == [1, 1]


def test_sessions_per_day_below_one_names_the_path():
    def change(data):
        data["phases"][1]["sessions_per_day"] = 0

    assert _problems(change) == ["phases[1].sessions_per_day: must be at least 1"]


def test_unknown_field_is_rejected_not_ignored():
    def change(data):
        data["phases"][0]["sesions"] = 30

    assert _problems(change) == ["phases[0].sesions: is not a known field"]


def test_wrong_modality_lists_the_allowed_ones():
    def change(data):
        data["modality"] = "rtms"

    assert _problems(change) == ["modality: must be one of 'tms', 'ect' or 'esketamine'"]


def test_every_problem_is_reported():
    def change(data):
        data["modality"] = "rtms"
        data["timing"]["procedure_minutes"] = 0

    assert _problems(change) == [
        "modality: must be one of 'tms', 'ect' or 'esketamine'",
        "timing.procedure_minutes: must be at least 1",
    ]


def test_same_day_sessions_must_not_overlap():
    # 10 + 15 minutes a session: starts 20 minutes apart would put the patient in two at once.
    def change(data):
        data["phases"][1]["min_minutes_between_starts"] = 20

    assert _problems(change) == [
        "phases[1].min_minutes_between_starts: must be at least 25 "
        "(procedure_minutes + observation_minutes) when sessions_per_day is more than 1"
    ]


def test_back_to_back_same_day_sessions_are_allowed():
    data = copy.deepcopy(VALID)
    data["phases"][1]["min_minutes_between_starts"] = 25

    assert parse_spec(data).phases[1].min_minutes_between_starts == 25


def test_sessions_per_day_above_one_needs_a_gap():
    def change(data):
        del data["phases"][1]["min_minutes_between_starts"]

    assert _problems(change) == [
        "phases[1].min_minutes_between_starts: required when sessions_per_day is more than 1"
    ]


def test_max_days_between_below_the_minimum_is_rejected():
    def change(data):
        data["phases"][0].update(sessions_per_week=2, max_days_between=2)

    # Twice a week defaults to three days apart, so at most two days apart cannot be kept.
    assert _problems(change) == ["phases[0].max_days_between: must be at least min_days_between"]


def test_phase_needs_a_length_and_a_cadence():
    def change(data):
        data["phases"][0] = {"name": "acute", "sessions_per_week": 5}

    assert _problems(change) == ["phases[0]: give either sessions or weeks"]


def test_repeated_weekday_is_rejected():
    def change(data):
        data["phases"][0] = {"name": "ect", "sessions": 12, "weekdays": ["mon", "wed", "mon"]}

    assert _problems(change) == ["phases[0].weekdays: each day may appear once"]


def test_phase_names_must_be_unique():
    def change(data):
        data["phases"][1]["name"] = "acute"
        data["outcomes"] = []

    assert _problems(change) == ["phases: phase names must be unique"]


def test_outcome_phase_start_must_name_a_phase():
    def change(data):
        data["outcomes"][0]["phase_starts"] = ["taper"]

    assert _problems(change) == ["outcomes: unknown phase 'taper' in phase_starts"]
