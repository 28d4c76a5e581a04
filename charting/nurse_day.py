"""What each of the day's sessions needs next, for the nurse's list.

Works on what charting.selectors.nurse_day loaded (no queries): the screening and observation
state in the words a nurse acts on ("Session screen due", "Next checkpoint in 12 min",
"Discharge available at 11:40"). The rules themselves stay in the services and gates; this
only reads their records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from charting.error_codes import ERR_ANCHOR_NOT_RECORDED, ERR_TOO_EARLY_TO_SIGN
from charting.models import ObservationRecord, ScreeningResponse
from charting.observations import discharge_earliest, observation_sign_problem
from charting.selectors import NurseDay
from clinic.clock import ceil_minute
from scheduling.models import Session

S = Session.Status
Kind = Literal["todo", "wait", "info", "done", "late"]


@dataclass(frozen=True)
class Step:
    text: str
    kind: Kind
    link: str = ""  # "course_screening" | "session_screening" | "observation"


@dataclass
class NurseRow:
    session: Session
    start: dt.datetime
    end: dt.datetime
    steps: list[Step] = field(default_factory=list)


def _minutes(delta: dt.timedelta) -> int:
    return max(0, round(delta.total_seconds() / 60))


def _screen(screening: ScreeningResponse | None, what: str, link: str) -> Step | None:
    if screening is None:
        return Step(f"{what} due", "todo", link)
    if screening.status == "hard_stop":
        return Step(f"{what}: hard stop, waiting for a clinician", "wait", link)
    if screening.status == "needs_review":
        return Step(f"{what}: waiting for clinician review", "wait", link)
    return None


def _observing(record: ObservationRecord, now: dt.datetime, zone: dt.tzinfo) -> list[Step]:
    spec = record.template.parsed
    if record.status == ObservationRecord.Status.SIGNED:
        signed = record.signed_at.astimezone(zone) if record.signed_at else None
        return [Step(f"Signed out at {signed:%H:%M}; complete the session", "done", "observation")]
    steps: list[Step] = []
    if spec.anchor == "dose" and not record.anchor_recorded:
        steps.append(Step("Record the dose time", "todo", "observation"))
    recorded = {e.checkpoint_id for e in record.entries.all()}
    for cp in sorted(record.checkpoints.all(), key=lambda c: c.position):
        if cp.pk in recorded or not cp.required:
            continue
        if cp.due_at >= now:
            wait = _minutes(cp.due_at - now)
            steps.append(Step(f"Next checkpoint: {cp.label} in {wait} min", "todo", "observation"))
        else:
            late = _minutes(now - cp.due_at)
            steps.append(Step(f"{cp.label}: overdue by {late} min", "late", "observation"))
        break
    # The sign-off service's own predicate: this list never says "can be signed" while the
    # service would refuse (no post-dose values yet, a severe alert open, ...).
    problem = observation_sign_problem(record, now=now)
    if problem is None:
        steps.append(Step("Discharge can be signed", "todo", "observation"))
    elif problem.code == ERR_TOO_EARLY_TO_SIGN:
        # Rounded up, as refusals name times: 10:40 for 10:40:30 would still be refused.
        earliest = ceil_minute(discharge_earliest(record)).astimezone(zone)
        steps.append(Step(f"Discharge available at {earliest:%H:%M}", "info", "observation"))
    elif problem.code != ERR_ANCHOR_NOT_RECORDED:  # already the first step above
        steps.append(Step(f"Discharge not yet: {problem.message}", "wait", "observation"))
    return steps


def session_steps(
    session: Session,
    *,
    course_screening: ScreeningResponse | None,
    session_screening: ScreeningResponse | None,
    record: ObservationRecord | None,
    now: dt.datetime,
    zone: dt.tzinfo,
) -> list[Step]:
    """The next things to do for one session, most urgent first."""
    if session.status in Session.INACTIVE:
        return [Step(session.get_status_display(), "info")]
    if session.status == S.COMPLETED:
        return [Step("Completed", "done")]
    forms = session.course.protocol.parsed.forms
    if session.status in (S.SCHEDULED, S.CHECKED_IN):
        steps = []
        if forms.course_screening:
            step = _screen(course_screening, "Course screen", "course_screening")
            if step:
                steps.append(step)
        if forms.session_screening:
            step = _screen(session_screening, "Session screen", "session_screening")
            if step:
                steps.append(step)
        if not steps:
            ready = "Check in" if session.status == S.SCHEDULED else "Ready to start"
            steps.append(Step(ready, "todo"))
        return steps
    if record is None:
        return [Step(session.get_status_display(), "info")]
    return _observing(record, now, zone)


def nurse_rows(day: NurseDay, *, now: dt.datetime) -> list[NurseRow]:
    zone = day.site.zone
    rows = []
    for s in day.sessions:
        rows.append(
            NurseRow(
                session=s,
                start=s.start.astimezone(zone),
                end=s.end.astimezone(zone),
                steps=session_steps(
                    s,
                    course_screening=day.course_screenings.get(s.course_id),
                    session_screening=day.session_screenings.get(s.pk),
                    record=day.records.get(s.pk),
                    now=now,
                    zone=zone,
                ),
            )
        )
    return rows
