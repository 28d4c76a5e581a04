"""The patient's optional daily check-in (CLINICAL.md §6): mood 0-10, hours slept, side
effects from the protocol's list (`checkin_side_effects`), free text.

Mood is a required choice with no default (the page checks no radio, the API has no default):
a check-in with only hours slept is refused rather than stored with a mood nobody chose.

On when the course's clinician turned it on, or the site has it on by default
(charting/patient_settings.py). One check-in per course per local day: saving again that day
updates it, and the history keeps what was there before. A side effect marked severe raises an
alert for the site's clinicians, once per side effect per day however often the patient saves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from charting.error_codes import (
    ERR_CHECKIN_OFF,
    ERR_COURSE_NOT_ACTIVE,
    ERR_INVALID_VALUE,
    ERR_MOOD_REQUIRED,
    ERR_UNKNOWN_SIDE_EFFECT,
)
from charting.models import Alert, DailyCheckIn
from charting.selectors.patient_reports import checkin_enabled, local_today
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from scheduling.models import Course

PATIENT_CHANGE = "patient link"
SEVERITIES = tuple(choice.value for choice in DailyCheckIn.Severity)
NOTE_MAX = 1000


def _sleep_hours(raw: Any) -> Decimal:
    """Hours slept as given: finite, 0 to 24, at most one decimal place (the column's). Never
    rounded: 24.05 is refused, not stored as 24.0. The page sends the form's text, the API a
    JSON number; "NaN" or "Infinity" must not reach the comparisons (InvalidOperation)."""
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if isinstance(raw, bool) or not value.is_finite():
        raise InvalidInput("sleep_hours: hours, e.g. 6.5.", code=ERR_INVALID_VALUE)
    if not Decimal(0) <= value <= Decimal(24):
        raise InvalidInput("sleep_hours: from 0 to 24.", code=ERR_INVALID_VALUE)
    if value != value.quantize(Decimal("0.1")):
        raise InvalidInput(
            "sleep_hours: at most one decimal place, e.g. 6.5.", code=ERR_INVALID_VALUE
        )
    return value.quantize(Decimal("0.1"))


def _clean(
    course: Course, mood: Any, sleep_hours: Any, side_effects: Any, note: Any
) -> tuple[int, Decimal, dict[str, str], str]:
    # Required, with no default: a mood the patient did not choose must never be stored (a
    # preset 0, "the worst", would chart a crash that did not happen).
    if mood is None or mood == "":
        raise InvalidInput("mood: choose your mood today, from 0 to 10.", code=ERR_MOOD_REQUIRED)
    if isinstance(mood, bool) or not isinstance(mood, int) or not 0 <= mood <= 10:
        raise InvalidInput("mood: a whole number from 0 to 10.", code=ERR_INVALID_VALUE)
    sleep = _sleep_hours(sleep_hours)
    if not isinstance(side_effects, dict):
        raise InvalidInput(
            "side_effects: an object of side effect: severity.", code=ERR_INVALID_VALUE
        )
    known = {effect.key for effect in course.protocol.parsed.checkin_side_effects}
    effects: dict[str, str] = {}
    for key, severity in side_effects.items():
        if key not in known:
            raise InvalidInput(
                f"side_effects.{key}: not on this treatment's list "
                f"({', '.join(sorted(known)) or 'none'}).",
                code=ERR_UNKNOWN_SIDE_EFFECT,
            )
        if severity in ("", None, "none"):
            continue
        if severity not in SEVERITIES:
            raise InvalidInput(
                f"side_effects.{key}: one of {', '.join(SEVERITIES)} (or none).",
                code=ERR_INVALID_VALUE,
            )
        effects[key] = severity
    text = "" if note is None else note
    if not isinstance(text, str) or len(text) > NOTE_MAX:
        raise InvalidInput(f"note: text of at most {NOTE_MAX} characters.", code=ERR_INVALID_VALUE)
    return mood, sleep, effects, text.strip()


def daily_checkin_save(
    *,
    course: Course,
    mood: Any,
    sleep_hours: Any,
    side_effects: Any,
    note: Any = "",
    now: dt.datetime | None = None,
) -> tuple[DailyCheckIn, list[Alert]]:
    """Save today's check-in (create, or update today's). Returns it and the alerts raised by
    this save (severe side effects not alerted earlier today)."""
    now = resolve_now(now)
    if course.status not in (Course.Status.PLANNED, Course.Status.ACTIVE):
        raise Conflict("This course has ended.", code=ERR_COURSE_NOT_ACTIVE)
    if not checkin_enabled(course=course):
        raise Conflict("Daily check-ins are not on for this course.", code=ERR_CHECKIN_OFF)
    mood, sleep, effects, text = _clean(course, mood, sleep_hours, side_effects, note)
    day = local_today(course=course, now=now)
    with transaction.atomic():
        row = DailyCheckIn.objects.select_for_update().filter(course=course, day=day).first()
        if row is None:
            row = DailyCheckIn(
                course=course,
                site_id=course.site_id,
                patient_id=course.patient_id,
                day=day,
                submitted_at=now,
            )
        row.mood = mood
        row.sleep_hours = sleep
        row.side_effects = effects
        row.note = text
        row.updated_at = now
        row._change_reason = PATIENT_CHANGE  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            # Saved from two tabs at once: the other created today's row; update it.
            other = DailyCheckIn.objects.select_for_update().get(course=course, day=day)
            row.pk, row.id, row.submitted_at = other.pk, other.pk, other.submitted_at
            row._state.adding = False
            row.save()
        alerted = set(
            Alert.objects.filter(checkin=row, kind=Alert.Kind.SIDE_EFFECT).values_list(
                "detail_key", flat=True
            )
        )
        labels = {e.key: e.label for e in course.protocol.parsed.checkin_side_effects}
        raised: list[Alert] = []
        for key, severity in sorted(effects.items()):
            if severity != DailyCheckIn.Severity.SEVERE or key in alerted:
                continue
            alert = Alert(
                kind=Alert.Kind.SIDE_EFFECT,
                site_id=course.site_id,
                patient_id=course.patient_id,
                course=course,
                checkin=row,
                detail_key=key,
                message=(
                    f"Patient's daily check-in ({day:%Y-%m-%d}): {labels[key].lower()}, "
                    "marked severe."
                )[:500],
                raised_at=now,
            )
            alert._change_reason = PATIENT_CHANGE  # type: ignore[attr-defined]
            alert.save()
            raised.append(alert)
    return row, raised
