"""What every charting service does when it records something: who may record, how much
clock skew a reading may have, local-time wording, and the observation entries that count
(saving with the acting user in the history row: clinic/history.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from charting.answers import AnswersInvalid
from charting.models import ObservationCheckpoint, ObservationEntry, ObservationRecord
from clinic.clock import ceil_minute
from clinic.errors import InvalidInput
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, Site

CHARTING_ROLES = (ROLE_NURSE, ROLE_CLINICIAN)
# A reading timed a little ahead of the server clock is a clock skew, not a prediction.
CLOCK_SKEW = dt.timedelta(minutes=2)


def local_text(when: dt.datetime, site: Site) -> str:
    return f"{when.astimezone(site.zone):%Y-%m-%d %H:%M %Z}"


def local_deadline_text(when: dt.datetime, site: Site) -> str:
    """`local_text` of the earliest time something is allowed, rounded up to the minute (never
    a minute that has already begun: clinic/clock.py `ceil_minute`)."""
    return local_text(ceil_minute(when), site)


def invalid_answers(exc: AnswersInvalid) -> InvalidInput:
    return InvalidInput(str(exc), code=exc.code)


def current_entries(
    record: ObservationRecord,
    *,
    checkpoints: Iterable[ObservationCheckpoint] | None = None,
    entries: Iterable[ObservationEntry] | None = None,
) -> dict[tuple[str, str], ObservationEntry]:
    """The value that counts per (checkpoint, field): the latest not superseded by an amendment.

    Reads `record.checkpoints.all()` and `record.entries.all()`, so a caller that prefetched
    them (the nurse's day list, for every record at once) costs no query here; a caller that
    loaded the record's rows itself (the session record PDF) passes them instead."""
    if checkpoints is None:
        checkpoints = record.checkpoints.all()
    if entries is None:
        entries = record.entries.all()
    keys = {cp.pk: cp.key for cp in checkpoints}
    rows = sorted(
        (e for e in entries if e.superseded_by_id is None),
        key=lambda e: (e.taken_at, e.pk),
    )
    return {(keys[e.checkpoint_id], e.field_key): e for e in rows}


def checkpoint_minutes_off(
    record: ObservationRecord, checkpoint: ObservationCheckpoint, taken_at: dt.datetime
) -> int:
    """Whole minutes a reading at `checkpoint` taken at `taken_at` lies outside the
    checkpoint's window (template `window_minutes`, default from the offset): positive late,
    negative early, 0 on time. Judged only once the dose/procedure time is recorded: before
    that the due times are the session start's, not the patient's. The form, the PDF, the REMS
    draft and the review alert all read it here."""
    if not record.anchor_recorded:
        return 0
    cp = record.template.parsed.checkpoint(checkpoint.key)
    return cp.minutes_off_window(checkpoint.due_at, taken_at) if cp is not None else 0
