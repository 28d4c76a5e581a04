"""Background tasks of charting (django-q2): ids in, a service does the work."""

from __future__ import annotations

from charting.alert_notifications import urgent_alert_notify


def notify_urgent_alert(alert_id: int) -> int:
    """Email the site's clinicians about an urgent alert (a patient's PHQ-9 item 9 above 0)."""
    return urgent_alert_notify(alert_id=alert_id)
