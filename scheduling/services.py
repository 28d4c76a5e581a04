"""Booking and changing courses: the only code that writes courses, sessions and holds.

Every service is keyword-only, runs in `transaction.atomic()` and takes `now` so tests can
travel in time. Placement itself is pure (scheduling/booking.py); services load what it needs
in a constant number of queries, place in memory, then write with bulk operations.

Double booking is prevented twice: in the service (checks inside the transaction; on SQLite the
write lock is taken at BEGIN because settings use transaction_mode IMMEDIATE, so two bookings
cannot interleave) and, on PostgreSQL, by exclusion constraints (migration 0002) that reject a
concurrent transaction's overlapping hold; that IntegrityError becomes 409 "slot_taken".

This module is the public face other code imports (`from scheduling import services`); the
services live in modules named for what they hold:

- scheduling/enrolment.py: course_enrol and its checks (protocol version, prescriber,
  pinned resources, overlapping courses, sessions that could not be placed).
- scheduling/session_changes.py: check-in, start, observation, completion, cancellation and
  no-show (with make-ups), rescheduling, and the row locks they take.
- scheduling/closures.py: site_close_day.
- scheduling/courses.py: course_discontinue.
- scheduling/placing.py: loading a Placer from the database, hold rows, booking races.
- scheduling/service_support.py: error codes, role tuples, small helpers, result dataclasses.

Tests that replace a private helper patch it in the module that looks it up (e.g.
`scheduling.enrolment._load_placer`), not here.
"""

from __future__ import annotations

from scheduling.closures import CloseDayResult, site_close_day
from scheduling.courses import DiscontinueResult, course_discontinue
from scheduling.enrolment import course_enrol
from scheduling.placing import Loaded
from scheduling.service_support import (
    BOOKERS,
    CARE_ROLES,
    CHECK_IN_ROLES,
    ERR_INVALID_TRANSITION,
    ERR_PROTOCOL_RULE,
    ERR_SLOT_TAKEN,
    ERR_UNPLACEABLE,
    OPTIONAL_KINDS,
    SEARCH_DAYS,
    Moved,
    SessionChange,
)
from scheduling.session_changes import (
    session_cancel,
    session_check_in,
    session_complete,
    session_no_show,
    session_observe,
    session_reschedule,
    session_start,
)

__all__ = [
    "BOOKERS",
    "CARE_ROLES",
    "CHECK_IN_ROLES",
    "ERR_INVALID_TRANSITION",
    "ERR_PROTOCOL_RULE",
    "ERR_SLOT_TAKEN",
    "ERR_UNPLACEABLE",
    "OPTIONAL_KINDS",
    "SEARCH_DAYS",
    "CloseDayResult",
    "DiscontinueResult",
    "Loaded",
    "Moved",
    "SessionChange",
    "course_discontinue",
    "course_enrol",
    "session_cancel",
    "session_check_in",
    "session_complete",
    "session_no_show",
    "session_observe",
    "session_reschedule",
    "session_start",
    "site_close_day",
]
