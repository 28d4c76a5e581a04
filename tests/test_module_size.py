"""No app module is over 500 lines.

A module that grows past that holds more than one thing: split it by what it holds (named by
operation or kind, as docs/architecture.md's "The shape of an app" says) before it grows on.
Migrations are generated and excluded.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "demo", "clinic", "protocols", "scheduling", "charting"]
MAX_LINES = 500


def _app_modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def test_the_walk_finds_the_apps():
    # A wrong root would make the size check pass on no files.
    assert len(_app_modules()) > 100


def test_no_app_module_is_over_500_lines():
    too_long = {
        path.relative_to(ROOT).as_posix(): lines
        for path in _app_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these by what they hold (at most {MAX_LINES} lines)"
