"""What a booking change returns: an enrolment's course with its sessions, holds and
adjustments; a session change's session, every session it moved or added, and notes for the
person who made the change (e.g. why no make-up session could be added)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from protocols.adjustments import Adjustment
from scheduling.models import Course, ResourceHold, Session


@dataclass
class Enrolment:
    """A booked course (unsaved in a dry run: every id None): its sessions by number, the hold
    rows of all of them, and each session placed away from the asked day or time, with why."""

    course: Course
    sessions: list[Session]
    holds: list[ResourceHold]
    adjustments: list[Adjustment]

    def holds_of(self, session: Session) -> list[ResourceHold]:
        # By identity: a dry run's rows have no ids to match on.
        return [h for h in self.holds if h.session is session]


@dataclass
class Moved:
    session: Session
    old_start: dt.datetime | None
    added: bool = False
    # The session's new hold rows, when the change moved it: the answer shows them even after a
    # dry run has rolled them back.
    holds: list[ResourceHold] | None = None


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
