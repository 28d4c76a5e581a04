"""How every API answer is written: JSON, with each instant in UTC and `Z`.

docs/api/README.md promises instants in UTC (`2026-03-09T13:00:00Z`), and fields named
`*_local` in the site's zone with its offset (what a person reads off a board). An answer built
from an object the request just set (an observation's dose time, a scale's time) held the
request's own offset (`-04:00`) until the row was read again; converting here, once, for every
answer keeps the promise whatever a builder hands back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja.renderers import JSONRenderer

LOCAL_SUFFIX = "_local"


def utc_instants(data: Any, key: str = "") -> Any:
    """`data` with every aware datetime in UTC, except the values of keys ending `_local`.
    Django's JSON encoder then writes UTC as `Z`."""
    if isinstance(data, dt.datetime):
        if key.endswith(LOCAL_SUFFIX) or data.utcoffset() is None:
            return data
        return data.astimezone(dt.UTC)
    if isinstance(data, dict):
        return {k: utc_instants(v, str(k)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [utc_instants(item, key) for item in data]
    return data


class UtcJSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return super().render(request, utc_instants(data), response_status=response_status)
