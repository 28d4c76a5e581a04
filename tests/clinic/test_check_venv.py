"""scripts/check_venv.py: `make` reinstalls when the virtualenv does not match the lock."""

from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_venv", ROOT / "scripts" / "check_venv.py")
assert spec is not None and spec.loader is not None
check_venv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_venv)


def test_the_real_lock_matches_this_environment():
    assert check_venv.problems(ROOT / "requirements.lock") == []


def test_a_missing_package_and_a_wrong_version_are_reported(tmp_path):
    django_version = metadata.version("django")
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# a comment\n"
        f"Django=={django_version}\n"
        "django_ninja==0.0.1\n"
        "surely-not-installed-package==1.0\n"
    )
    assert check_venv.problems(lock) == [
        f"django_ninja is {metadata.version('django-ninja')}, the lock pins 0.0.1",
        "surely-not-installed-package is missing",
    ]
