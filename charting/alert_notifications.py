"""Telling a site's clinicians about an urgent alert by email, through the worker.

The alert row is the record and the queue is where it is worked; the email only makes sure
somebody looks. It carries no patient name, answer or diagnosis (email is not a private
channel): the alert's kind, the site and a link to the queue.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django_q.tasks import async_task

from charting.models import Alert
from clinic.display_text import display_text
from clinic.models import ROLE_CLINICIAN

TASK = "charting.tasks.notify_urgent_alert"


def urgent_alert_enqueue(*, alert: Alert) -> None:
    """Queue the email once the transaction that raised the alert commits (never for an
    alert that was rolled back)."""
    transaction.on_commit(functools.partial(async_task, TASK, alert.pk))


def urgent_alert_recipients(*, site_id: int) -> list[str]:
    """Active clinicians of the site with an email address."""
    return sorted(
        set(
            User.objects.filter(sites__id=site_id, groups__name=ROLE_CLINICIAN, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def urgent_alert_notify(*, alert_id: int) -> int:
    """Send the email about one alert; returns how many recipients (0 when the alert is gone,
    already acknowledged or nobody has an address)."""
    alert = Alert.objects.select_related("site").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None:
        return 0
    recipients = urgent_alert_recipients(site_id=alert.site_id)
    if not recipients:
        return 0
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    # An email header holds one line: a site name from before the name rule may hold a break.
    subject = f"[{display_text(alert.site.name)}] Urgent: {alert.get_kind_display()}"
    body = (
        f"A patient's report at {alert.site.name} needs a clinician today "
        f"({alert.get_kind_display()}).\n\n"
        f"Open the alerts queue to see it and record what was done:\n{base}/alerts/\n\n"
        f"Alert {alert.pk}. This email carries no patient details on purpose."
    )
    send_mail(subject, body, None, recipients)
    return len(recipients)
