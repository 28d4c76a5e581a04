"""Template context of the staff pages from charting: the open-alert count in the navigation
(clinicians and nurses; one COUNT query per page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from charting.selectors.queues import open_alert_count
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE
from clinic.pages import can


def alert_nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not can(user, ROLE_CLINICIAN, ROLE_NURSE):
        return {}
    return {"nav_open_alerts": open_alert_count(user=user)}
