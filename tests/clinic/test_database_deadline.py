"""A frozen database costs a request at most its deadline, not as long as the freeze lasts.

Server-side timeouts (statement, lock) cannot fire on a server that is not running, and the
kernel keeps acknowledging TCP for a stopped process, so keepalives do not notice either. The
request deadline (clinic/db_deadline.py) does: at `DB_REQUEST_DEADLINE_SECONDS` it cancels the
query and, if the server does not answer the cancel, cuts the connection; the request answers
503 `database_unavailable`. Requests that need no database do not wait at all.

The PostgreSQL test stops every process of the throwaway server with SIGSTOP (the way the probe
froze it) while requests run on connections kept from earlier requests; SIGCONT always follows.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from werkzeug.test import Client as WsgiClient

from tests.conftest import ApiClient

DEADLINE = 3.0
BASE = "http://testserver"


def _postgres_pids() -> list[int]:
    """The postmaster of the test server and all its children (backends, checkpointer, ...)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_dir = cursor.fetchone()[0]
    with open(os.path.join(data_dir, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    pids = [postmaster]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == postmaster:
            pids.append(int(entry))
    return pids


@contextmanager
def frozen_postgres() -> Iterator[None]:
    pids = _postgres_pids()
    # A safety net outside this process: if the process itself hangs, the server still runs
    # again after a minute (a stopped server would hang the rest of the run and its cleanup).
    safety = subprocess.Popen(["sh", "-c", f"sleep 60; kill -CONT {' '.join(map(str, pids))}"])
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        safety.kill()
        safety.wait()


class Worker(threading.Thread):
    """One server thread: keeps its database connection between requests, like gunicorn's."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.jobs: queue.Queue[Callable[[], Any] | None] = queue.Queue()
        self.results: queue.Queue[tuple[Any, float]] = queue.Queue()
        self.start()

    def run(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                started = time.monotonic()
                try:
                    out = job()
                    out.get_data()  # read the whole body, then close it (static files)
                    out.close()
                except Exception as exc:  # reported to the test, not lost in the thread
                    out = exc
                self.results.put((out, time.monotonic() - started))
        finally:
            connections.close_all()

    def submit(self, job: Callable[[], Any]) -> None:
        self.jobs.put(job)

    def result(self, timeout: float) -> tuple[Any, float]:
        return self.results.get(timeout=timeout)

    def stop(self) -> None:
        self.jobs.put(None)
        self.join(timeout=30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requests_answer_within_twice_the_deadline_while_postgres_is_stopped(
    settings, scheduler, patient, tmp_path
):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", verbosity=0)
    app = WsgiClient(WSGIHandler())
    api_headers = ApiClient(scheduler).headers
    browser = Client()
    browser.force_login(scheduler)
    # A second WSGI client that holds the staff session cookie (werkzeug keeps its own jar).
    staff = WsgiClient(app.application)
    staff.set_cookie("sessionid", browser.cookies["sessionid"].value, domain="testserver")

    def api() -> Any:
        return app.get(f"/api/v1/patients/{patient.pk}", base_url=BASE, headers=api_headers)

    def page() -> Any:
        return staff.get("/patients/", base_url=BASE)

    def openapi() -> Any:
        return app.get("/api/v1/openapi.json", base_url=BASE)

    def static() -> Any:
        return app.get("/static/clinic/pages.js", base_url=BASE)

    database_jobs = {"api-1": api, "api-2": api, "api-3": api, "page": page}
    workers = {name: Worker() for name in [*database_jobs, "openapi", "static"]}
    try:
        # Warm up: every worker keeps a connection from an earlier request (CONN_MAX_AGE).
        settings.DB_REQUEST_DEADLINE_SECONDS = 0
        warm_up = {**database_jobs, "openapi": openapi, "static": static}
        for name, job in warm_up.items():
            workers[name].submit(job)
        for name in warm_up:
            response, _ = workers[name].result(timeout=30)
            assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])

        # The first requests of a handler load the URLs and the API; on a busy machine that
        # alone can take seconds, so the deadline starts now, with everything loaded.
        settings.DB_REQUEST_DEADLINE_SECONDS = DEADLINE
        results: dict[str, tuple[Any, float]] = {}
        with frozen_postgres():
            for name, job in {**database_jobs, "openapi": openapi, "static": static}.items():
                workers[name].submit(job)
            for name, worker in workers.items():
                try:
                    results[name] = worker.result(timeout=3 * DEADLINE)
                except queue.Empty:
                    results[name] = (None, float("inf"))
        for worker in workers.values():  # anything still hanging finishes now
            worker.stop()
    finally:
        for worker in workers.values():
            worker.stop()

    slow = {name: round(took, 2) for name, (_, took) in results.items() if took > 2 * DEADLINE}
    assert slow == {}, f"answered after more than {2 * DEADLINE} s: {slow}"
    for name in ("api-1", "api-2", "api-3"):
        response = results[name][0]
        assert response.status_code == 503, (name, response.get_data(as_text=True)[:300])
        assert response.json["code"] == "database_unavailable"
        assert response.headers["Retry-After"]
    page_response = results["page"][0]
    assert page_response.status_code == 503
    assert page_response.headers["Content-Type"].startswith("text/html")
    assert "database" in page_response.get_data(as_text=True).lower()
    # No database needed, no waiting behind it.
    for name in ("openapi", "static"):
        response, took = results[name]
        assert response.status_code == 200, name
        assert took < DEADLINE / 2, (name, took)

    # Thawed: the connections cut at the deadline are replaced, requests work again.
    after = Worker()
    try:
        after.submit(api)
        response, _ = after.result(timeout=30)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    finally:
        after.stop()


ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


# serialized_rollback: the flush after a transactional test drops the role groups.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_query_still_running_at_the_deadline_is_stopped_and_answered_503(
    settings, scheduler, monkeypatch
):
    # On either database: SQLite's statement is interrupted, PostgreSQL's connection is cut.
    client = ApiClient(scheduler)
    assert client.get("/api/v1/me").status_code == 200  # URLs and API loaded before timing
    settings.DB_REQUEST_DEADLINE_SECONDS = 1.0

    def endless(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(ENDLESS)
            return cursor.fetchall()

    monkeypatch.setattr("clinic.api.accounts.site_list_for_user", endless)
    started = time.monotonic()
    response = client.get("/api/v1/me")
    took = time.monotonic() - started
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "database_unavailable"
    assert took < 2 * settings.DB_REQUEST_DEADLINE_SECONDS
    monkeypatch.undo()
    assert client.get("/api/v1/me").status_code == 200  # the next request works


def test_the_deadline_is_configured_and_the_connection_options_bound_dead_servers():
    from django.conf import settings

    assert settings.DB_REQUEST_DEADLINE_SECONDS > 0
    assert "clinic.db_deadline.DatabaseDeadlineMiddleware" in settings.MIDDLEWARE
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "clinic.postgresql":
        options = db["OPTIONS"]
        assert options["keepalives"] == 1
        assert options["tcp_user_timeout"] == settings.DB_TCP_USER_TIMEOUT_MS
        assert "client_connection_check_interval" in options["options"]
