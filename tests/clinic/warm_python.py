"""A warm Python interpreter that runs `python <args>` in a fresh fork per request.

tests/clinic/test_settings.py checks the production settings the way production starts them:
`manage.py check --deploy` (or `python -c ...`) in a process whose environment is exactly the
one given, nothing inherited from the test run. A new interpreter for each of its ~20 cases
spends most of its ~2 s importing Django, pydantic, reportlab, icalendar and friends again.

This script is started once, with a clean environment, by the test module. It imports those
third-party libraries - only modules that read neither the environment nor Django's settings
when imported, which it checks: settings stay unconfigured and the app registry empty - and
then serves requests, one JSON line on stdin each: {"args": [...], "env": {...}}. For each it
forks; the child replaces its whole environment with `env`, points stdin at /dev/null and
stdout/stderr at files, and runs `args` as the `python` command line would (a script path, or
`-c CODE`); its exit status is the child's. The answer is one JSON line on stdout:
{"returncode", "stdout", "stderr"}. So every case still starts from nothing of the project -
settings, apps, URLconf, checks are all loaded in the child from its own environment - and
only the libraries' import cost is paid once (gunicorn --preload works the same way).
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import signal
import sys
import tempfile
import traceback

# Imported once in the parent. Each must be import-pure: no settings, no environment.
PRELOAD = [
    "asyncio",
    "email.message",
    "logging.config",
    "unittest.mock",
    "xml.sax.saxutils",
    "dateutil.rrule",
    "dateutil.parser",
    "holidays",
    "icalendar",
    "PIL.Image",
    "psycopg2",
    "pydantic",
    "reportlab.graphics.shapes",
    "reportlab.lib.styles",
    "reportlab.pdfgen.canvas",
    "reportlab.platypus",
    "segno",
    "django.core.management",
    "django.db.models",
    "django.forms",
    "django.http",
    "django.template",
    "django.test",
    "django.urls",
]


def _preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    from django.apps import apps
    from django.conf import settings

    # The guarantee the tests rely on: nothing project- or settings-specific was loaded.
    assert not settings.configured, "a preloaded module read Django's settings"
    assert not apps.ready and not apps.app_configs, "a preloaded module loaded Django apps"
    assert not any(m.split(".")[0] in PROJECT for m in sys.modules), "project code preloaded"


PROJECT = {"config", "clinic", "protocols", "scheduling", "charting", "demo", "manage"}
TIMEOUT_SECONDS = 120


def _child(args: list[str], env: dict[str, str], out: int, err: int) -> None:
    """Runs in the forked child; never returns."""
    code = 1
    try:
        # `subprocess.run(..., timeout=120)` for a fresh process: a hung child is killed.
        signal.alarm(TIMEOUT_SECONDS)
        os.environ.clear()
        os.environ.update(env)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        if args[0] == "-c":
            sys.argv = ["-c", *args[2:]]
            sys.path[0] = ""
            exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            script = os.path.abspath(args[0])
            sys.argv = list(args)
            sys.path[0] = os.path.dirname(script)
            runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run(args: list[str], env: dict[str, str]) -> dict[str, object]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(args, env, out.fileno(), err.fileno())
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {
            "returncode": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def main() -> None:
    _preload()
    requests = sys.stdin
    answers = sys.stdout
    print(json.dumps({"ready": True}), file=answers, flush=True)
    for line in requests:
        request = json.loads(line)
        answer = _run(request["args"], request["env"])
        print(json.dumps(answer), file=answers, flush=True)


if __name__ == "__main__":
    main()
