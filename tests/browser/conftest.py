"""Real-browser fixtures: Debian's chromium driven by Playwright's sync API.

Never downloads a browser (no `playwright install`): `make test` installs Debian's chromium
(the Makefile's browser-deps target). If chromium is missing or cannot start, the tests fail.

While Playwright's sync API is running, an asyncio loop runs in the test's thread, and Django
treats the thread as async: ORM calls raise SynchronousOnlyOperation, and (with
DJANGO_ALLOW_ASYNC_UNSAFE) would get a connection of their own that nothing closes, so
PostgreSQL could not drop the test database at the end. Hence: request data fixtures *before*
`page` in a test's arguments (pytest sets up same-scope fixtures in that order), and read the
database during a test through `db_read`, which runs in a plain thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.clock import local
from tests.support.factories import PASSWORD

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture
def browser() -> Iterator[Browser]:
    """One chromium per test (about a second), so that Playwright's loop never outlives it."""
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: apt-get install chromium (make test does it)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    # Production settings as they are: chromium treats http://localhost as a secure origin,
    # so the Secure session and CSRF cookies work against the plain-HTTP live server.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Page, username: str, *, next_path: str = "/") -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")


def _closing(read: Callable[[], T]) -> T:
    try:
        return read()
    finally:
        connections.close_all()


def db_read(read: Callable[[], T]) -> T:
    """Run ORM code while the browser is open, in a plain thread with its own connection
    (closed afterwards). See the module docstring for why."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_closing, read).result()


DAY = "2026-03-09"  # a Monday: the day the browser walks happen


@pytest.fixture
def clock(site, settings):
    """Move the pages' clock: clock("09:05") pins it to that time on DAY at the site."""

    def set_to(hhmm: str) -> dt.datetime:
        settings.CLINIC_NOW = local(site, DAY, hhmm)
        return settings.CLINIC_NOW

    set_to("08:30")
    return set_to
