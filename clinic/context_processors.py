"""Template context every staff page needs: which role-specific links to show."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clinic.models import ROLE_CLINICIAN
from clinic.pages import BOOKING, CLINICAL, can
from clinic.permissions import documents_open


def staff_nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_clinical": can(user, *CLINICAL),
        "nav_booking": can(user, *BOOKING),
        "nav_clinician": can(user, ROLE_CLINICIAN),
        # Which document links to show: clinic.permissions.DOCUMENTS, as the API checks it.
        "documents_open": documents_open(user),
    }
