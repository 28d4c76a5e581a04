"""Telling a site's clinicians about an urgent alert by email, through the worker.

The alert row is the record and the queue is where it is worked; the email only makes sure
somebody looks. It carries no patient name, answer or diagnosis (email is not a private
channel): the alert's kind, the site and an absolute link to the queue (`SITE_URL`).
"""

from __future__ import annotations

import functools

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django_q.tasks import async_task

from charting.models import Alert
from clinic.display_text import display_text
from clinic.models import ROLE_CLINICIAN
from clinic.site_url import absolute_url

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
    # An email header holds one line: a site name from before the name rule may hold a break.
    subject = f"[{display_text(alert.site.name)}] Urgent: {alert.get_kind_display()}"
    link = absolute_url(reverse("alerts"))
    # Never a relative link: a mail client cannot open "/alerts/". Without SITE_URL (which
    # `check --deploy` refuses) the email still goes, saying where to look in words.
    where = (
        f"Open the alerts queue to see it and record what was done:\n{link}"
        if link
        else "Open the alerts queue in the clinic service to see it and record what was done."
    )
    body = (
        f"A patient's report at {alert.site.name} needs a clinician today "
        f"({alert.get_kind_display()}).\n\n{where}\n\n"
        f"Alert {alert.pk}. This email carries no patient details on purpose."
    )
    send_mail(subject, body, None, recipients)
    return len(recipients)
