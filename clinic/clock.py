"""The current instant, as the web pages see it.

Services take `now` as a keyword so tests can travel in time; the pages pass `clock.now()`.
Normally that is the real time. `settings.CLINIC_NOW` (an aware datetime or ISO 8601 string)
pins it: the browser tests move the clock past the 2-hour esketamine observation this way, and
the screenshot script photographs a fixed day. settings.py only reads CLINIC_NOW from the
environment when DEBUG is on, so a production server always runs on the real clock.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    pinned = getattr(settings, "CLINIC_NOW", None)
    if pinned is None:
        return timezone.now()
    if isinstance(pinned, str):
        pinned = dt.datetime.fromisoformat(pinned)
    if pinned.tzinfo is None:
        raise ValueError("CLINIC_NOW must carry its UTC offset")
    return pinned
