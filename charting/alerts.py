"""Alerts (out-of-range values, parameters, PHQ-9 item 9 safety, late checkpoints):
acknowledgement, and which alerts are severe."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from charting.error_codes import ERR_ALREADY_ACKNOWLEDGED, ERR_NOTE_REQUIRED
from charting.models import Alert
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role

# The alerts a clinician must answer with a note, and that hold a discharge sign-off while
# open: a PHQ-9 item 9 (safety) and a value in a template's severe range.
SEVERE_ALERTS = Q(kind=Alert.Kind.SAFETY) | Q(severity=Alert.Severity.SEVERE)


def alert_is_severe(alert: Alert) -> bool:
    """The Python form of SEVERE_ALERTS, for alerts already loaded."""
    return alert.kind == Alert.Kind.SAFETY or alert.severity == Alert.Severity.SEVERE


def alert_acknowledge(
    *, alert: Alert, note: str = "", by: User, now: dt.datetime | None = None
) -> Alert:
    """A clinician acknowledges an alert; a safety or severe alert needs a note of what was
    assessed or done (422 `note_required`)."""
    require_role(by, ROLE_CLINICIAN, action="acknowledge alerts")
    now = resolve_now(now)
    note = (note or "").strip()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            raise Conflict(
                "This alert has already been acknowledged.", code=ERR_ALREADY_ACKNOWLEDGED
            )
        if alert_is_severe(alert) and not note:
            what = "safety assessment" if alert.kind == Alert.Kind.SAFETY else "assessment"
            raise InvalidInput(f"note: record the {what} or action taken.", code=ERR_NOTE_REQUIRED)
        alert.acknowledged_by = by
        alert.acknowledged_at = now
        alert.note = note
        return save_with_history(alert, by)
