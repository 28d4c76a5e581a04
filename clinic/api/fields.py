"""Input shapes shared by every app's API: text the database can store, ids and calendar days
within the ranges the code can work with.

Bad input must be a 422 before it reaches a service, never a 500 from the database or from date
arithmetic. Each limit here answers a failure the API fuzz test (tests/test_api_fuzz.py) found:
PostgreSQL refuses NUL in text and jsonb, neither database can encode a lone UTF-16 surrogate,
SQLite cannot bind an integer past 64 bits, and planning from a day near 9999-12-31 runs past
the last date Python has.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    WithJsonSchema,
    model_validator,
)

# Largest value a 64-bit signed id column holds (SQLite INTEGER, PostgreSQL bigint).
MAX_ID = 2**63 - 1
# Site-calendar days a request may name. Wide enough for any real clinic (back-dated closures,
# booking years ahead) and far enough from date.max that a course planned from the last day, plus
# the calendar years loaded around it, stays representable.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def _integer_not_bool(value: Any) -> Any:
    # pydantic's lax mode takes `true` as 1 and `2.0` as 2: `{"site_id": true}` must not name
    # site 1. Digit strings stay valid because path and query parameters arrive as text.
    if isinstance(value, bool | float):
        raise ValueError("must be an integer (not true/false or a decimal)")
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be an integer")
    return value


# A row id: an integer from 1 to 2**63-1 (outside that range: 422, never a database error).
Id = Annotated[int, BeforeValidator(_integer_not_bool), Field(ge=1, le=MAX_ID)]


def _iso_day(value: Any) -> Any:
    # pydantic reads a number (or a string of digits) as a Unix timestamp: `?date=0` was
    # 1970-01-01 and answered 200. A calendar day is written YYYY-MM-DD, nothing else.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

CalendarDay = Annotated[
    dt.date,
    BeforeValidator(_iso_day),
    Field(ge=FIRST_DAY, le=LAST_DAY, description="a local date between 1900-01-01 and 2999-12-31"),
]
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
# A wall-clock time at the site ("09:00:00"). JSON Schema's `time` format is RFC 3339 full-time,
# which requires a UTC offset these local times do not have, so they are described by pattern.
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
            "description": "local wall-clock time at the site, without a UTC offset",
        }
    ),
]


def _within_calendar(value: dt.datetime) -> dt.datetime:
    # Compared by date alone: a UTC offset must not move an in-range day out of range.
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return value


# An instant a request names (a new session start, an observation time): adding a session's
# length or an observation period to it must not run past the last representable date.
Instant = Annotated[dt.datetime, AfterValidator(_within_calendar)]
AwareInstant = Annotated[AwareDatetime, AfterValidator(_within_calendar)]


def unstorable_text(value: Any, where: str = "") -> str | None:
    """Why some string in `value` (keys included, at any depth) cannot be stored, or None."""
    if isinstance(value, str):
        place = f" (in {where})" if where else ""
        if "\x00" in value:
            return f"text must not contain NUL (\\u0000) characters{place}"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"text must not contain unpaired UTF-16 surrogates{place}"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            problem = unstorable_text(key, where) or unstorable_text(item, path)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = unstorable_text(item, f"{where}[{index}]")
            if problem:
                return problem
    return None


class InSchema(Schema):
    """Base for request bodies and query schemas: every string in them can be stored, and a
    field the schema does not have is an error (422 naming it), never silently dropped: a typo
    such as `{"versoin": 1}` must not turn into "no version given"."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        # ninja hands before-validators its getter wrapper unless the schema forbids extras.
        raw = data._obj if isinstance(data, DjangoGetter) else data
        problem = unstorable_text(raw)
        if problem:
            raise ValueError(problem)
        return data
