"""docs/architecture.md lists every module of every app, and nothing that is not there.

The map is only useful if a newcomer finds every file on it: a module added without a line in
"Every module" fails here, and so does a line naming a module that was moved or deleted.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ["config", "demo", "clinic", "protocols", "scheduling", "charting"]


def _modules_on_disk() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "__init__.py":
                continue
            found.add(path.relative_to(ROOT).as_posix())
    return found


def _modules_in_doc() -> set[str]:
    section = DOC.read_text().split("## Every module", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and (match := re.fullmatch(r"`([\w/]+\.py)`", cells[0])):
            listed.add(match.group(1))
    return listed


def test_the_section_lists_modules():
    # A parsing slip would make both directions below pass on empty sets.
    assert len(_modules_in_doc()) > 100


def test_every_app_module_is_on_the_map():
    missing = sorted(_modules_on_disk() - _modules_in_doc())
    assert missing == [], "add these to docs/architecture.md, 'Every module'"


def test_every_module_on_the_map_exists():
    gone = sorted(_modules_in_doc() - _modules_on_disk())
    assert gone == [], "docs/architecture.md names modules that are not there"
