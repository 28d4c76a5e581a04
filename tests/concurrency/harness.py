"""Run one operation from many threads at once, for the PostgreSQL concurrency tests.

Each thread has its own database connection (closed when it ends, so the test database can be
dropped) and waits at a Barrier, so that all of them read before any of them writes: the race
that locks and constraints must win.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

from clinic.errors import DomainError
from clinic.permissions import user_roles, user_site_ids


def race(n: int, fn: Callable[[int], object]) -> list[tuple]:
    """Call fn(0..n-1) in n threads released together. Each result is ("ok", value),
    (status, code) for a DomainError, or ("error", repr) for anything else (a would-be 500)."""
    barrier = threading.Barrier(n)
    results: list[tuple] = [("not run",)] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", fn(i))
        except DomainError as exc:
            results[i] = (exc.status, exc.code)
        except Exception as exc:  # a 500 would land here and fail the test
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def warm(user) -> None:
    # Role and site caches live on the user object; fill them before it is shared by threads.
    user_roles(user)
    user_site_ids(user)
