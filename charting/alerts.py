"""Alerts (out-of-range values, parameters, PHQ-9 item 9 safety): acknowledgement."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from charting.models import Alert
from charting.recording import save_with_history
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role


def alert_acknowledge(
    *, alert: Alert, note: str = "", by: User, now: dt.datetime | None = None
) -> Alert:
    """A clinician acknowledges an alert; a safety alert needs a note of what was done."""
    require_role(by, ROLE_CLINICIAN, action="acknowledge alerts")
    now = resolve_now(now)
    note = (note or "").strip()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            raise Conflict("This alert has already been acknowledged.", code="already_acknowledged")
        if alert.kind == Alert.Kind.SAFETY and not note:
            raise InvalidInput(
                "note: record the safety assessment or action taken.", code="note_required"
            )
        alert.acknowledged_by = by
        alert.acknowledged_at = now
        alert.note = note
        return save_with_history(alert, by)
