"""What the scheduling services share: error codes that tests assert on, the role tuples
views and services check, small helpers (injectable `now`, site visibility, aware
datetimes, a site calendar) and the result dataclasses of a session change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import prefetch_related_objects as prefetch
from django.utils import timezone

from clinic.errors import InvalidInput
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, Site
from clinic.permissions import user_site_ids
from protocols.calendar import SiteCalendar
from scheduling.models import Session

ERR_SLOT_TAKEN = "slot_taken"
ERR_UNPLACEABLE = "unplaceable"
ERR_INVALID_TRANSITION = "invalid_transition"
ERR_PROTOCOL_RULE = "protocol_rule"

BOOKERS = (ROLE_SCHEDULER, ROLE_CLINICIAN)
# Who may move a session along on the day (check-in also happens at the front desk).
CHECK_IN_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)
CARE_ROLES = (ROLE_NURSE, ROLE_CLINICIAN)
# Kinds held only where the site models them at all (no rows of that kind: not held; rows but
# none active: nothing free). A clinic that does not track TMS devices books chairs only.
OPTIONAL_KINDS = frozenset({"tms_device"})
# A search for "the next valid day" gives up after this many days.
SEARCH_DAYS = 60

S = Session.Status


# --- small helpers ------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _visible(by: Any, site_id: int) -> bool:
    allowed = user_site_ids(by)
    return allowed is None or site_id in allowed


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must include a UTC offset, e.g. 2026-12-01T09:00:00-05:00 or ...Z.",
            code="naive_datetime",
        )
    return value


def _label(conflict: Hashable | None) -> str:
    if isinstance(conflict, int):
        return f"session {conflict}"
    if isinstance(conflict, tuple) and len(conflict) == 2:
        return f"session {conflict[1]} of this course"
    return "another booking"


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _calendar(site: Site, start: dt.date) -> SiteCalendar:
    prefetch([site], "opening_hours", "closures")
    return site.calendar(start)


@dataclass
class Moved:
    session: Session
    old_start: dt.datetime | None
    added: bool = False


@dataclass
class SessionChange:
    session: Session
    moved: list[Moved] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
