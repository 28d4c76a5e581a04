"""What charting requires before a session may move on (screenings, observation sign-off).

Scheduling calls these from its session transition services; charting (issue 4) fills them in.
Each raises a clinic.errors.DomainError (409 or 422) naming what is missing, or returns None.
"""

from __future__ import annotations

from typing import Any


def check_in_allowed(session: Any) -> None:
    """Before check-in: the course-level screening must be complete (first session)."""


def start_allowed(session: Any) -> None:
    """Before start: the per-session screening must be complete with no uncleared hard stop."""


def complete_allowed(session: Any) -> None:
    """Before completion: the observation record must be signed (when the protocol has one)."""


def on_session_started(session: Any, *, by: Any, now: Any) -> None:
    """After start: open the observation record with its checkpoints."""


def on_session_completed(session: Any, *, by: Any, now: Any) -> None:
    """After completion: e.g. queue the esketamine REMS monitoring form."""
