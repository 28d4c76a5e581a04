"""Input shapes shared by every app's API: strict bodies, text the database can store, ids,
numbers and calendar days within the ranges the code can work with.

Bad input must be a 422 before it reaches a service, never a 500 from the database or from date
arithmetic, and never a value quietly converted into another. Each limit here answers a failure
the API fuzz tests (tests/test_api_fuzz.py, tests/test_api_strict_fields.py) found: PostgreSQL
refuses NUL in text and jsonb, neither database can encode a lone UTF-16 surrogate, SQLite
cannot bind an integer past 64 bits, planning from a day near 9999-12-31 runs past the last date
Python has, `?start_from=0` was a Unix timestamp (1970-01-01), `{"rems_enrolled": 0}` was false,
`{"mood": true}` was 1 and `{"sleep_hours": "NaN"}` reached Decimal arithmetic.

How strictness works: a JSON body already gives every value its type, so `InSchema` (every
request body) validates strictly: `"7"` is not 7, `0` is not false, `true` is not 1, NaN and
infinities are not numbers. Query and path parameters arrive as text, so `QueryIn` (every query
schema) parses text, and the types below accept only the text forms they document: digits for
an integer, YYYY-MM-DD for a day, ISO 8601 for an instant. The day, instant and time types
check the text themselves and then let pydantic parse it, in bodies and queries alike.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Strict,
    WithJsonSchema,
    model_validator,
)

from clinic.display_text import name_problem

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


# A whole number. In a body only a JSON integer (InSchema is strict); in a query or path, digits.
# Range constraints go before it in an Annotated (`Annotated[int, Field(ge=1), DIGITS]`): after
# a validator, pydantic writes them into the OpenAPI document as "ge"/"le", which JSON Schema
# (and so every client and fuzzer) ignores, instead of "minimum"/"maximum".
DIGITS = BeforeValidator(_integer_not_bool)
Int = Annotated[int, DIGITS]
# A row id: an integer from 1 to 2**63-1 (outside that range: 422, never a database error).
Id = Annotated[int, Field(ge=1, le=MAX_ID), DIGITS]


def _iso_day(value: Any) -> Any:
    # pydantic reads a number (or a string of digits) as a Unix timestamp: `?date=0` was
    # 1970-01-01 and answered 200. A calendar day is written YYYY-MM-DD, nothing else.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Strict(False): the text was checked above; pydantic turns it into a date, in a strict body too.
# The range first: JSON Schema has no bounds for a date, and after the validator pydantic would
# write invalid "ge"/"le" keys into the OpenAPI document; the description says it.
CalendarDay = Annotated[
    dt.date,
    Field(ge=FIRST_DAY, le=LAST_DAY, description="a local date between 1900-01-01 and 2999-12-31"),
    Strict(False),
    BeforeValidator(_iso_day),
]
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


def _one_line(value: str) -> str:
    problem = name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A name shown on one line (a patient's name, a feed's label, a protocol's name): no control
# characters, line breaks or bidirectional overrides (clinic/display_text.py), as the model
# field validators of site, resource and patient names also refuse.
DisplayName = Annotated[str, AfterValidator(_one_line)]


# A wall-clock time at the site ("09:00:00"). JSON Schema's `time` format is RFC 3339 full-time,
# which requires a UTC offset these local times do not have, so they are described by pattern.
def _iso_time(value: Any) -> Any:
    # pydantic reads a number as seconds since midnight: `"preferred_time": 3600` is not 01:00.
    if isinstance(value, dt.time) or (isinstance(value, str) and _ISO_TIME.fullmatch(value)):
        return value
    raise ValueError("must be a time written HH:MM or HH:MM:SS")


_ISO_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?")

LocalTime = Annotated[
    dt.time,
    Strict(False),
    BeforeValidator(_iso_time),
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


def _iso_instant(value: Any) -> Any:
    # pydantic reads a number (or a string of digits) as a Unix timestamp: `"to": 0` was
    # 1970-01-01T00:00Z. An instant is written as ISO 8601 date and time, nothing else.
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _ISO_INSTANT.match(value)):
        return value
    raise ValueError("must be a date and time written YYYY-MM-DDTHH:MM[:SS][+HH:MM or Z]")


_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

# An instant a request names (a new session start, an observation time): adding a session's
# length or an observation period to it must not run past the last representable date.
Instant = Annotated[
    dt.datetime, Strict(False), BeforeValidator(_iso_instant), AfterValidator(_within_calendar)
]
AwareInstant = Annotated[
    AwareDatetime, Strict(False), BeforeValidator(_iso_instant), AfterValidator(_within_calendar)
]


def _tenths(value: float) -> float:
    # The database keeps one decimal (sleep hours: DecimalField(max_digits=3, decimal_places=1));
    # rounding 24.05 to 24.0 would store a value the patient did not give.
    if Decimal(str(value)).as_tuple().exponent < -1:  # type: ignore[operator]
        raise ValueError("must have at most one decimal place, e.g. 6.5")
    return value


# Hours within one day, e.g. sleep: a JSON number from 0 to 24 with at most one decimal place.
DayHours = Annotated[
    float, Field(ge=0, le=24, description="0 to 24, one decimal place"), AfterValidator(_tenths)
]


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
    """Base for request bodies: every value has its declared JSON type (strict: no `"7"` for 7,
    no `0` for false, no NaN or infinity for a number), every string in them can be stored, and
    a field the schema does not have is an error (422 naming it), never silently dropped: a
    typo such as `{"versoin": 1}` must not turn into "no version given"."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        # ninja hands before-validators its getter wrapper unless the schema forbids extras.
        raw = data._obj if isinstance(data, DjangoGetter) else data
        problem = unstorable_text(raw)
        if problem:
            raise ValueError(problem)
        return data


class QueryIn(InSchema):
    """Base for query-parameter schemas: as InSchema, but the values arrive as text, so they are
    parsed, by the types above where a field needs a form (Int, Id, CalendarDay)."""

    model_config = ConfigDict(strict=False)
