"""The request deadline: no request waits on the database past `DB_REQUEST_DEADLINE_SECONDS`.

Why the client has to do it (docs/deployment.md, "Database timeouts"): PostgreSQL's own
statement and lock timeouts are enforced by the server, so a server that is frozen (stopped
with SIGSTOP, a hung storage volume, a VM paused by its host) enforces nothing; and the kernel
of a frozen server's machine keeps acknowledging TCP, so keepalives and `tcp_user_timeout` see
a healthy connection. gunicorn's `--timeout` does not stop a threaded worker's thread either.
The probe of issue 16 saw requests on kept connections hang 94-100 s, as long as the freeze.

So every request runs under a deadline (`DatabaseDeadlineMiddleware`):

- a timer thread fires at the deadline and shuts the connection's socket down: the call
  blocked on it returns with an error at once, Django drops the connection, and a server that
  is alive stops the query when it sees the client gone (`client_connection_check_interval`).
  On SQLite the timer interrupts the statement instead (`sqlite3.Connection.interrupt`);
- after the deadline, a new query fails at once (the execute wrapper), and so does opening a
  new connection (`clinic/postgresql/base.py`); before it, a new connection may take at most
  what is left of the deadline (its `connect_timeout`, libpq's minimum being 2 s).

Every one of those is an OperationalError, which `config/request_failures.py` answers with
503 `database_unavailable`: JSON under /api/, an HTML page otherwise. A request that needs no
database (the OpenAPI document, static files) is never touched, so it does not wait.

The deadline counts from the start of the request, not per query: a request that spends 14 s
in Python and then queries gets the 503 too, which is the point (the worker thread is free
again within the deadline either way). Background tasks run without a deadline; the server's
statement timeout and the TCP settings bound their waits.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

_local = threading.local()


class Deadline:
    """One request's deadline and the connections its thread uses."""

    def __init__(self, seconds: float, wrappers: list[BaseDatabaseWrapper]):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.wrappers = wrappers
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.fired = False

    def remaining(self) -> float:
        return self.at - time.monotonic()


def remaining() -> float | None:
    """Seconds left for the current thread's request; None outside a request (tasks, shell)."""
    deadline: Deadline | None = getattr(_local, "deadline", None)
    return None if deadline is None else deadline.remaining()


def connect_timeout(configured: int | None) -> int | None:
    """The `connect_timeout` for a connection opened now: the configured one, or less when the
    request has less time left. Raises once the deadline has passed."""
    left = remaining()
    if left is None:
        return configured
    if left <= 0:
        raise OperationalError("the request's database deadline passed before connecting")
    bounded = max(2, math.ceil(left))
    return bounded if not configured else min(configured, bounded)


def _refuse_after_deadline(deadline: Deadline) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        if deadline.fired or deadline.remaining() <= 0:
            raise OperationalError(
                f"the request's database deadline ({deadline.seconds:g} s) has passed"
            )
        return execute(sql, params, many, context)

    return wrapper


def _interrupt_sqlite(raw: Any) -> None:
    interrupt = getattr(raw, "interrupt", None)
    if interrupt is not None:
        interrupt()  # sqlite3: the running statement stops with "interrupted"


def _cut(raw: Any) -> None:
    """Shut the connection's socket down: a call blocked on it returns with an error now.

    Not psycopg2's `connection.cancel()`: it holds the GIL while libpq's PQcancel waits for
    the postmaster's answer, so against a frozen server it froze every thread of the process
    (found by tests/clinic/test_database_deadline.py). A server that is alive notices the
    closed socket within `client_connection_check_interval` (settings) and stops the query.
    """
    fileno = getattr(raw, "fileno", None)
    if fileno is None:
        return
    try:
        sock = socket.socket(fileno=os.dup(fileno()))
    except Exception:  # already closed
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()  # closes our duplicate only; the connection's own fd stays for Django


def _expire(deadline: Deadline) -> None:
    with deadline.lock:
        if deadline.done.is_set():
            return
        deadline.fired = True
        for wrapper in deadline.wrappers:
            raw = wrapper.connection
            if raw is None:
                continue
            if wrapper.vendor == "sqlite":
                _interrupt_sqlite(raw)
            else:
                _cut(raw)


@contextmanager
def request_deadline(seconds: float) -> Iterator[Deadline]:
    """Run the body under a database deadline of `seconds` (see the module docstring)."""
    wrappers = [connections[alias] for alias in connections]
    deadline = Deadline(seconds, wrappers)
    timer = threading.Timer(seconds, _expire, args=(deadline,))
    timer.daemon = True
    _local.deadline = deadline
    try:
        with ExitStack() as stack:
            for wrapper in wrappers:
                stack.enter_context(wrapper.execute_wrapper(_refuse_after_deadline(deadline)))
            timer.start()
            yield deadline
    finally:
        with deadline.lock:
            deadline.done.set()
        timer.cancel()
        _local.deadline = None
        if deadline.fired:
            # Cut: do not keep the connection for the next request.
            for wrapper in wrappers:
                if wrapper.connection is not None and not wrapper.in_atomic_block:
                    wrapper.close()


class DatabaseDeadlineMiddleware:
    """Every request under `request_deadline(settings.DB_REQUEST_DEADLINE_SECONDS)`; 0 turns
    it off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = float(settings.DB_REQUEST_DEADLINE_SECONDS)
        if seconds <= 0:
            return self.get_response(request)
        with request_deadline(seconds):
            return self.get_response(request)
