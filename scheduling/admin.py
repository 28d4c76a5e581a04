"""Admin for what scheduling adds to the clinic's pages.

The Site page is clinic's (clinic/admin.py); a closure added there only records the day. What
that means for booked sessions is scheduling's knowledge, so scheduling extends the Site admin
here rather than clinic reaching up into sessions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from clinic.admin import SiteAdmin
from clinic.models import Closure, Site
from scheduling.availability import local_day_bounds
from scheduling.models import Session


class SchedulingSiteAdmin(SiteAdmin):
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is not Closure:
            return
        # A closure added here only records the day: booked sessions are not moved silently
        # (moving clinical appointments is the scheduler's decision). Say so, and how.
        site = form.instance
        for closure in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
            lo, hi = local_day_bounds(closure.date, site.zone)
            booked = Session.objects.filter(
                site=site, active=True, start__gte=lo, start__lt=hi
            ).count()
            if booked:
                messages.warning(
                    request,
                    f"{booked} session(s) are still booked on {closure.date:%Y-%m-%d}, now "
                    f"closed. Re-plan them with POST /api/v1/sites/{site.pk}/closures "
                    '{"date": ..., "reason": ..., "replan": true} or reschedule them one by one.',
                )


admin.site.unregister(Site)
admin.site.register(Site, SchedulingSiteAdmin)
