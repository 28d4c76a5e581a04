"""One feed link fetched by many clients at once is built once (issue 16, point 9: "one feed
link can saturate the service"). Before the build lock, 8 parallel fetches of a cold feed were
8 builds of the same body; now the first builds and the others wait for its body."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from scheduling.feed_limits import FeedBuilding, feed_body_cached
from tests.concurrency.harness import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["feeds"].clear()
    yield
    caches["feeds"].clear()


def test_eight_fetches_of_one_cold_feed_build_it_once():
    builds = []
    lock = threading.Lock()

    def build() -> bytes:
        with lock:
            builds.append(1)
        time.sleep(0.5)  # a slow build: the others arrive while it runs
        return b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    results = race(8, lambda i: feed_body_cached(etag='"e1"', build=build))
    assert [r[0] for r in results] == ["ok"] * 8, results
    assert {r[1] for r in results} == {b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}
    assert len(builds) == 1


@override_settings(FEED_BUILD_WAIT_SECONDS=0.5)
def test_a_build_still_running_after_the_wait_answers_busy_not_a_second_build():
    caches["feeds"].add("feed-body:e2:building", 1, timeout=60)  # another worker is building

    def build() -> bytes:
        raise AssertionError("built a second time")

    with pytest.raises(FeedBuilding) as busy:
        feed_body_cached(etag='"e2"', build=build)
    assert busy.value.retry_after >= 1


def test_a_lock_left_by_a_failed_build_does_not_block_the_next():
    def failing() -> bytes:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        feed_body_cached(etag='"e3"', build=failing)
    assert feed_body_cached(etag='"e3"', build=lambda: b"body") == b"body"
