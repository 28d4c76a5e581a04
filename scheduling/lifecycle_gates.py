"""The session lifecycle's gates: what must be true before a session moves on, and what
happens after it did, supplied by the apps above scheduling.

Scheduling owns the session states (scheduling/session_lifecycle.py) but not the clinical
records that gate them: the course and session screenings before check-in and start, and the
signed observation record before completion, are charting's (charting/gates.py). Scheduling
must not import charting (imports run one way, docs/architecture.md), so charting registers
its gates here from `ChartingConfig.ready()`, and the lifecycle services call `run_gates`.

A gate raises a clinic.errors.DomainError (409 naming what is missing) to refuse a step;
the `after_*` hooks run inside the same transaction as the step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from django.contrib.auth.models import User

from scheduling.models import Session


class SessionGates(Protocol):
    def before_check_in(self, session: Session) -> None: ...

    def before_start(self, session: Session) -> None: ...

    def before_complete(self, session: Session) -> None: ...

    def after_start(self, session: Session, *, by: User | None, now: dt.datetime) -> None: ...

    def after_complete(self, session: Session, *, by: User | None, now: dt.datetime) -> None: ...

    def observation_over(self, sessions: Sequence[Session]) -> set[int]:
        """Ids of those sessions whose observation is over (the record signed), in one query:
        such a session completes in one action, without "Start observation"."""
        ...


_registered: list[SessionGates] = []


def register_session_gates(gates: SessionGates) -> None:
    """Add an app's gates (idempotent: `ready()` may run twice under some test runners)."""
    if not any(type(g) is type(gates) for g in _registered):
        _registered.append(gates)


def registered_session_gates() -> tuple[SessionGates, ...]:
    return tuple(_registered)


def observation_over(sessions: Sequence[Session]) -> set[int]:
    """Ids of `sessions` whose observation every registered app reports over."""
    if not sessions or not _registered:
        return set()
    over = {s.pk for s in sessions}
    for gates in _registered:
        over &= gates.observation_over(sessions)
    return over
