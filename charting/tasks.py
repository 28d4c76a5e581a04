"""Background tasks of charting (django-q2): the evening run sheets, the morning list of REMS
monitoring forms, and the email about an urgent alert (a patient's PHQ-9 item 9 above 0).
Same rules as scheduling/tasks.py: ids in, a service does the work, a missing object records a
skip instead of raising."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from charting.alert_notifications import urgent_alert_notify
from charting.models import RunSheet
from charting.rems_due import monitoring_digest_send
from charting.run_sheets import run_sheet_store
from clinic import clock
from clinic.models import Site
from scheduling.task_skips import task_skip_record
from scheduling.tasks import enqueue


def store_evening_run_sheets() -> int:
    """Hourly: at each site whose local time has reached RUN_SHEET_LOCAL_HOUR, enqueue
    tomorrow's run sheet unless it is stored already."""
    now = clock.now()
    count = 0
    for site in Site.objects.all():
        local = now.astimezone(site.zone)
        if local.hour < settings.RUN_SHEET_LOCAL_HOUR:
            continue
        tomorrow = local.date() + dt.timedelta(days=1)
        if not RunSheet.objects.filter(site=site, day=tomorrow).exists():
            enqueue("charting.tasks.store_run_sheet", site.pk, tomorrow.isoformat())
            count += 1
    return count


def store_run_sheet(site_id: int, day: str) -> str:
    """Render and store one site's run sheet for `day` (YYYY-MM-DD)."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        task_skip_record(
            task="store_run_sheet", kind="site", object_id=site_id, reason="site deleted"
        )
        return "skipped"
    sheet = run_sheet_store(site=site, day=dt.date.fromisoformat(day))
    return f"stored {sheet.session_count} session(s)"


def send_monitoring_digests() -> int:
    """Hourly: at each site whose local time has reached MONITORING_DIGEST_LOCAL_HOUR,
    enqueue today's list of REMS monitoring forms (sent once a day)."""
    now = clock.now()
    count = 0
    for site in Site.objects.all():
        if now.astimezone(site.zone).hour >= settings.MONITORING_DIGEST_LOCAL_HOUR:
            enqueue("charting.tasks.send_monitoring_digest", site.pk)
            count += 1
    return count


def send_monitoring_digest(site_id: int) -> str:
    digest = monitoring_digest_send(site_id=site_id)
    if digest is None:
        task_skip_record(
            task="send_monitoring_digest", kind="site", object_id=site_id, reason="site deleted"
        )
        return "skipped"
    return f"{digest.item_count} form(s), {len(digest.recipients)} recipient(s)"


def notify_urgent_alert(alert_id: int) -> int:
    """Email the site's clinicians about an urgent alert (a patient's PHQ-9 item 9 above 0)."""
    return urgent_alert_notify(alert_id=alert_id)
