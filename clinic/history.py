"""Saving a row with the acting user named in its django-simple-history row."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db.models import Model

M = TypeVar("M", bound=Model)


def save_with_history(obj: M, by: User | None, **kwargs: Any) -> M:
    """`obj.save(**kwargs)` with `by` in the history row. Named explicitly: API tokens and
    background tasks have no request for simple-history's middleware to read. With `by=None`
    the middleware's request user, if any, stands (tasks and commands have none)."""
    if by is not None:
        obj._history_user = by  # type: ignore[attr-defined]  # read by simple-history's signal
    obj.save(**kwargs)
    return obj
