"""`make run`'s seed prints a demo patient's link that opens their page and feed."""

from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command
from django.test import Client

from scheduling.models import CalendarFeed


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_prints_working_demo_links_and_rotates_them(db, settings):
    settings.DEBUG = True
    first = seed()
    page = _match(r"http://[^/]+(/p/icf_[A-Za-z0-9_-]{43}/)", first)
    feeds = re.findall(r"http://[^/]+(/calendar/icf_[A-Za-z0-9_-]{43}\.ics)", first)
    assert len(feeds) == 2
    assert Client().get(page).status_code == 200
    for feed in feeds:
        response = Client().get(feed)
        assert response.status_code == 200
        assert response.content.startswith(b"BEGIN:VCALENDAR")
    second = seed()
    assert Client().get(page).status_code == 404  # the earlier link was rotated
    new_page = _match(r"http://[^/]+(/p/icf_[A-Za-z0-9_-]{43}/)", second)
    assert Client().get(new_page).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 2


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)
