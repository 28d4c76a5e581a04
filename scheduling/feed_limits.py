"""What keeps one feed link from saturating the service (issue 16, point 9): the built body
cached by its ETag, and a per-token request rate.

Bodies live in the `feeds` cache, Django's DatabaseCache (the `django_cache` table made by
`manage.py createcachetable`): shared by every gunicorn worker and every machine, so a body
built once is served to all of them. Counts live in `FeedRequestCount`, one UPSERT a request
(the cache's read-then-write `incr` took a dozen queries and could lose counts), so a token's
count is one count wherever its requests land. Nothing here holds truth: a lost cache entry
only costs one rebuild.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from scheduling.models import FeedRequestCount

CACHE_ALIAS = "feeds"
# How often a request waiting for another's build looks for the body.
BUILD_POLL_SECONDS = 0.2


class FeedBuilding(Exception):
    """Another request is still building this body after FEED_BUILD_WAIT_SECONDS: the view
    answers 503 with `retry_after` rather than start a second build of the same body."""

    def __init__(self, retry_after: int):
        super().__init__(f"feed body being built; retry after {retry_after} s")
        self.retry_after = retry_after


def feed_body_cached(*, etag: str, build: Callable[[], bytes]) -> bytes:
    """The body for `etag`, built by `build()` only when no worker built it yet. The ETag
    names everything the body depends on (scheduling/feed_selectors.py `feed_state`), so an
    entry is never stale: a change makes a new ETag, and the old entry ages out.

    One build per body at a time: the first request takes a build lock (`cache.add`, an INSERT
    into the shared cache table that a second worker cannot also win) and the others wait for
    its body instead of building it again; eight clients fetching one cold link cost one build,
    not eight. A lock whose builder failed is released; one whose builder died ages out."""
    cache = caches[CACHE_ALIAS]
    key = "feed-body:" + etag.strip('"')
    body = cache.get(key)
    if body is not None:
        return bytes(body)
    lock = key + ":building"
    if not cache.add(lock, 1, timeout=settings.FEED_BUILD_LOCK_SECONDS):
        body = _wait_for(cache, key, lock)
        if body is not None:
            return body
        # The builder gave up (its lock is gone and no body came): build here instead.
    try:
        body = build()
        cache.set(key, body, timeout=settings.FEED_BODY_CACHE_SECONDS)
    finally:
        cache.delete(lock)
    return bytes(body)


def _wait_for(cache: Any, key: str, lock: str) -> bytes | None:
    deadline = time.monotonic() + settings.FEED_BUILD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(BUILD_POLL_SECONDS)  # a sleeping thread costs no CPU, unlike a second build
        body = cache.get(key)
        if body is not None:
            return bytes(body)
        if cache.get(lock) is None:
            return None
    raise FeedBuilding(retry_after=max(1, round(settings.FEED_BUILD_WAIT_SECONDS)))


def feed_rate_retry_after(*, token: str, now: float | None = None) -> int | None:
    """Count one request of `token`; None while within FEED_RATE_LIMIT requests per
    FEED_RATE_WINDOW seconds, else the seconds until the window ends (the Retry-After).

    Fixed windows, keyed by a hash of the token and the window start. One statement counts and
    reads the count, so two workers at the same instant cannot both take the last request; the
    first request of a window also deletes the rows of windows that ended."""
    limit, window = settings.FEED_RATE_LIMIT, settings.FEED_RATE_WINDOW
    moment = time.time() if now is None else now
    started = int(moment // window) * window
    digest = hashlib.sha256(f"{token}:{started}".encode()).hexdigest()
    table = FeedRequestCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [digest, started + window],
        )
        count = int(cursor.fetchone()[0])
    if count == 1:
        FeedRequestCount.objects.filter(expires__lt=moment).delete()
    if count <= limit:
        return None
    return max(1, int(started + window - moment))
