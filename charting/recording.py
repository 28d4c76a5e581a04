"""What every charting service does when it records something: who may record, how much
clock skew a reading may have, saving with the acting user in the history row, local-time
wording, and the observation entries that count."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db.models import Model

from charting.models import ObservationEntry, ObservationRecord
from charting.spec import AnswersInvalid
from clinic.clock import ceil_minute
from clinic.errors import InvalidInput
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, Site

M = TypeVar("M", bound=Model)

CHARTING_ROLES = (ROLE_NURSE, ROLE_CLINICIAN)
# A reading timed a little ahead of the server clock is a clock skew, not a prediction.
CLOCK_SKEW = dt.timedelta(minutes=2)


def save_with_history(obj: M, by: User | None, **kwargs: Any) -> M:
    # Name the acting user in the history row explicitly (API tokens and background tasks have
    # no request for simple-history's middleware to read).
    if by is not None:
        obj._history_user = by  # type: ignore[attr-defined]  # read by simple-history's signal
    obj.save(**kwargs)
    return obj


def local_text(when: dt.datetime, site: Site) -> str:
    return f"{when.astimezone(site.zone):%Y-%m-%d %H:%M %Z}"


def local_deadline_text(when: dt.datetime, site: Site) -> str:
    """`local_text` of the earliest time something is allowed, rounded up to the minute (never
    a minute that has already begun: clinic/clock.py `ceil_minute`)."""
    return local_text(ceil_minute(when), site)


def invalid_answers(exc: AnswersInvalid) -> InvalidInput:
    return InvalidInput(str(exc), code=exc.code)


def current_entries(record: ObservationRecord) -> dict[tuple[str, str], ObservationEntry]:
    """The value that counts per (checkpoint, field): the latest not superseded by an amendment."""
    current: dict[tuple[str, str], ObservationEntry] = {}
    for entry in (
        record.entries.filter(superseded_by__isnull=True)
        .select_related("checkpoint")
        .order_by("taken_at", "id")
    ):
        current[(entry.checkpoint.key, entry.field_key)] = entry
    return current
