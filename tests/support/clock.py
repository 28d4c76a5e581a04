"""The tests' one wall-clock helper: a time as people at a site read it, turned into the UTC
instant the code stores. Tests write `local(site, "2026-03-09", "09:00")`; pure tests, which
have no Site row, pass the zone itself (`local(NY, MONDAY, "09:00")`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinic.models import Site


def local(place: Site | dt.tzinfo, day: str | dt.date, hhmm: str) -> dt.datetime:
    """Wall-clock `day hh:mm` at the site (or in the zone), as an aware UTC datetime.

    A time that does not exist or happens twice at a DST change takes the earlier offset
    (`fold=0`), as ZoneInfo does."""
    zone = place if isinstance(place, dt.tzinfo) else place.zone
    date = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    naive = dt.datetime.combine(date, dt.time.fromisoformat(hhmm))
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)
