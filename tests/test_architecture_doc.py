"""docs/architecture.md's table "Where each rule lives" names real functions.

Each row's file and function(s) must exist, so the map cannot drift from the code: a renamed or
moved rule fails here until the table says where it went.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def _rows() -> list[tuple[str, str, str]]:
    text = DOC.read_text()
    section = text.split("## Where each rule lives", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`"):
            continue
        rows.append((cells[0], cells[1].strip("`"), cells[2]))
    return rows


def test_the_table_covers_the_rules_the_structure_issue_names():
    names = " ".join(rule.lower() for rule, _f, _fn in _rows())
    for rule in (
        "esketamine chair hold",
        "observation minimum",
        "missed-session",
        "ect spacing",
        "same-day gaps",
        "rems gate",
        "screening gates",
        "hard stops",
        "response",
        "remission",
        # The rows the structure review of issue 17 found missing.
        "rems monitoring form is due 7 calendar days",
        "check-in window",
        "ect seizure adequacy",
        "discharge values count only when taken after the minimum",
        "overdue",
        "who records which parameters",
    ):
        assert rule in names, rule


@pytest.mark.parametrize(("rule", "path", "functions"), _rows())
def test_each_named_function_exists_in_the_named_file(rule, path, functions):
    assert (DOC.parent.parent / path).is_file(), f"{rule}: {path} does not exist"
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    for name in re.findall(r"`([A-Za-z_][\w.]*)`", functions):
        target = module
        for part in name.split("."):
            assert hasattr(target, part), f"{rule}: {path} has no {name}"
            target = getattr(target, part)
        assert callable(target), f"{rule}: {path}:{name} is not a function"
