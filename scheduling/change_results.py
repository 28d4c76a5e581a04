"""What a session change returns: the session, every session it moved or added, and notes for
the person who made the change (e.g. why no make-up session could be added)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduling.models import Session


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


class ChangePreview(Exception):
    """Raised inside a change's transaction to roll a dry run back, carrying what it did."""

    def __init__(self, change: SessionChange):
        super().__init__("dry run")
        self.change = change
