"""Durations and resource kinds as staff read them (clinic/display_text.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinic.display_text import RESOURCE_KIND_NAMES, duration_text, kind_name, overdue_text
from clinic.models import ResourceKind


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (60, "1 min 00 s"),
        (725, "12 min 05 s"),
        (3599, "59 min 59 s"),
        (3600, "1 h 00 min"),
        (17991, "4 h 59 min"),
        (18000, "5 h 00 min"),
        (-18000, "5 h 00 min"),
    ],
)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


def test_overdue_reads_hours_not_hundreds_of_minutes() -> None:
    assert overdue_text(-18000) == "overdue by 5 h 00 min"
    assert overdue_text(-(299 * 60 + 51)) == "overdue by 4 h 59 min"
    assert overdue_text(90) == "in 1 min 30 s"


def test_kind_names_are_the_model_labels() -> None:
    assert set(RESOURCE_KIND_NAMES) == set(ResourceKind.values)
    for value, label in ResourceKind.choices:
        assert kind_name(value).lower() == str(label).lower()
    assert kind_name("ect_suite") == "ECT suite"
    assert kind_name("new_kind") == "new kind"


def test_page_countdown_uses_the_same_words() -> None:
    """pages.js formats the live countdown like duration_text: hours past 60 minutes."""
    js = (Path(__file__).resolve().parents[2] / "clinic/static/clinic/pages.js").read_text()
    assert re.search(r'" h " \+ pad\(mins % 60\) \+ " min"', js)
    assert "durationText(left)" in js
