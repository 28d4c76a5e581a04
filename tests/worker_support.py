"""Real worker processes for the tests that kill one (issue 16, points 2 and 3).

A subprocess cannot see the test's own transaction, so these tests use
`django_db(transaction=True)` on PostgreSQL, and the subprocess connects to the same test
database through DATABASE_URL. `BlockingEmailBackend` stands in for an SMTP server that
accepts the connection and never answers: it touches a marker file (so the test knows the
send has begun) and hangs, which is the moment the test kills the worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class BlockingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        Path(os.environ["TEST_SEND_MARKER"]).write_text("sending")
        time.sleep(600)
        return 0


def test_database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ALLOW_INSECURE_KEY": "1",
            "PYTHONPATH": str(ROOT),
            "DB_CONN_MAX_AGE": "0",
        }
    )
    env.update(extra)
    return env


def start_process(args: list[str], *, log: Path, **env: str) -> subprocess.Popen:
    """Start a process in its own process group (so it can be killed as a whole), its output
    in `log` (read it when a test fails)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=worker_env(**env),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_python(code: str, *, log: Path, **env: str) -> subprocess.Popen:
    """Run `code` after django.setup() in a new process."""
    return start_process(
        [sys.executable, "-c", "import django; django.setup()\n" + code], log=log, **env
    )


def wait_for(predicate: Callable[[], object], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")
