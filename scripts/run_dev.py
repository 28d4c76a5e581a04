"""Development server for `make run`: the web server and the django-q2 cluster together.

`make run` has already migrated, loaded the protocol library and seeded the demo clinic. This
starts `manage.py runserver HOST:PORT` and `manage.py qcluster` as child processes, waits until
the web server answers, prints where to go and the demo logins, then watches both: Ctrl-C or
SIGTERM stops both, and if either one dies the other is stopped too and we exit non-zero.

Production does not use this; see docs/deployment.md (gunicorn + qcluster under a supervisor).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo import clinic as demo_clinic  # noqa: E402  (plain data, no Django set-up needed)

GRACE_SECONDS = 10
STARTUP_SECONDS = 60
STOP = threading.Event()  # set by SIGINT/SIGTERM
WEB = "web server"
WORKER = "task worker (qcluster)"


def port_problem(host: str, port: int) -> str | None:
    """Why we cannot listen on host:port, or None. Checked up front so the user gets one clear
    sentence instead of runserver's error scrolling past the worker's log."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # runserver sets SO_REUSEADDR too; without it a port in TIME_WAIT would look busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Own process group each: runserver's autoreloader and qcluster's workers are
    # grandchildren, and stopping must reach them too (see stop()).
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, start_new_session=True
    )


def stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, proc in children.items():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if name == WORKER:
                    # qcluster's guard stops its own workers cleanly on SIGTERM; signalling
                    # them too makes them die mid-task and the guard wait for them.
                    proc.send_signal(signal.SIGTERM)
                else:
                    # runserver's autoreloader parent would leave the serving child behind.
                    os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in children.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in children.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers (workers that ignored SIGTERM)
        proc.wait()


def wait_until_serving(url: str, web: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and not STOP.is_set():
        if web.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError as exc:
            # Serving, but this page is broken: say so and let the rest (admin) be used.
            print(f"run_dev: warning: {url} answered {exc.code}", file=sys.stderr)
            return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    return False


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        print(f"run_dev: PORT must be a number, not {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    problem = port_problem(host, port)
    if problem:
        print(
            f"run_dev: cannot listen on {host}:{port} ({problem}).\n"
            f"  Is another `make run` (or something else) using port {port}? Stop it, or pick "
            f"another port: make run PORT={port + 1}",
            file=sys.stderr,
        )
        return 1
    if "--check-port" in sys.argv[1:]:
        return 0  # `make run` checks first, so a busy port fails before migrating

    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "PYTHONUNBUFFERED": "1"}
    browse_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    netloc = f"[{browse_host}]:{port}" if ":" in browse_host else f"{browse_host}:{port}"
    base = f"http://{netloc}/"
    addrport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    children: dict[str, subprocess.Popen[bytes]] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        STOP.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    children[WEB] = start(["runserver", addrport], env)
    children[WORKER] = start(["qcluster"], env)

    if not wait_until_serving(f"{base}api/v1/openapi.json", children[WEB]):
        if not STOP.is_set():
            print("run_dev: the web server did not come up; see its output above.", file=sys.stderr)
        stop(children)
        return 0 if STOP.is_set() else 1

    print(
        "\n"
        f"  Interventional clinic is running at {base}\n"
        f"    Django admin   {base}admin/      "
        f"(log in as admin / {demo_clinic.USERS[-1].password})\n"
        f"    Day board      {base}   (log in as any demo user, e.g. "
        f"{demo_clinic.USERS[1].username} / {demo_clinic.USERS[1].password})\n"
        f"    API docs       {base}api/v1/docs\n"
        f"    OpenAPI schema {base}api/v1/openapi.json\n"
        "  Web server and task worker run together; Ctrl-C stops both.\n",
        flush=True,
    )
    if host not in {"127.0.0.1", "localhost", "::1"} and not os.environ.get("ALLOWED_HOSTS"):
        print(
            "  Note: reaching it by another name than localhost needs "
            "ALLOWED_HOSTS=<that name> (DEBUG only allows localhost).\n",
            flush=True,
        )
    print(demo_clinic.logins_text(base) + "\n", flush=True)

    exit_code = 0
    while not STOP.is_set():
        for name, proc in children.items():
            if proc.poll() is not None:
                print(
                    f"run_dev: the {name} exited with code {proc.returncode}; stopping the rest.",
                    file=sys.stderr,
                )
                exit_code = 1
                STOP.set()
                break
        else:
            STOP.wait(0.5)
    print("run_dev: stopping the web server and the task worker...", file=sys.stderr, flush=True)
    stop(children)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
