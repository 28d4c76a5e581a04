"""Settings for what patients see and may do on their link page: a site's crisis resources
and callback promise, and daily check-ins on or off (site default, per course)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from charting.error_codes import ERR_REQUIRED, ERR_TOO_LONG
from charting.models import CourseCheckinSetting, SitePatientSettings
from clinic.clock import resolve_now
from clinic.errors import InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, Site
from clinic.permissions import require_role
from scheduling.models import Course


def site_patient_settings_update(
    *,
    site: Site,
    crisis_resources: str,
    callback_promise: str,
    daily_checkin_default: bool,
    by: Any,
) -> SitePatientSettings:
    """An admin sets the site's crisis resources (shown at once on a risk answer), the callback
    promise and the daily check-in default."""
    require_role(by, ROLE_ADMIN, action="change the site's patient settings")
    crisis = (crisis_resources or "").strip()
    promise = (callback_promise or "").strip()
    if not crisis:
        raise InvalidInput(
            "crisis_resources: a site must tell patients where to get help.", code=ERR_REQUIRED
        )
    if not promise:
        raise InvalidInput(
            "callback_promise: say when the clinic will contact the patient.", code=ERR_REQUIRED
        )
    if len(crisis) > 2000 or len(promise) > 500:
        raise InvalidInput("Too long (2000 and 500 characters at most).", code=ERR_TOO_LONG)
    with transaction.atomic():
        row = SitePatientSettings.objects.select_for_update().filter(site=site).first()
        row = row or SitePatientSettings(site=site)
        row.crisis_resources = crisis
        row.callback_promise = promise
        row.daily_checkin_default = bool(daily_checkin_default)
        return save_with_history(row, by)


def course_checkin_set(
    *, course: Course, enabled: bool, by: Any, now: dt.datetime | None = None
) -> CourseCheckinSetting:
    """A clinician turns the course's daily check-in on or off."""
    require_role(by, ROLE_CLINICIAN, action="turn daily check-ins on or off")
    now = resolve_now(now)
    with transaction.atomic():
        row = CourseCheckinSetting.objects.select_for_update().filter(course=course).first()
        row = row or CourseCheckinSetting(course=course)
        row.enabled = bool(enabled)
        row.changed_by = by
        row.changed_at = now
        return save_with_history(row, by)
