"""When an esketamine REMS monitoring form is due, and the daily list of those due within 2
days or overdue, sent to each site's clinicians by email.

A form is due `FORM_DUE_DAYS` (7) calendar days after its session's local day (CLINICAL.md §3);
its state on a day (`form_due_state`: due, due soon, overdue, submitted) is judged by the
site's own calendar, never UTC's: a form due on the 9th is not overdue at 21:00 on the 9th in
New York just because it is already the 10th in UTC. The pages, the API, the list and the email
all ask here. The same list is in the API (GET /charting/monitoring-forms/due). One email per
site and local day: a `MonitoringDigest` row (unique per site and day) makes a repeated run a
no-op."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from charting.models import MonitoringDigest, MonitoringFormItem
from clinic.clock import resolve_now
from clinic.display_text import display_text
from clinic.models import ROLE_CLINICIAN, Site
from clinic.site_url import absolute_url

# Due this many calendar days after the session's local day (CLINICAL.md §3: within 7 days),
# unless the template's `report_due_days` says otherwise.
FORM_DUE_DAYS = 7
# Due soon from this many days before the due date: on the daily list and email, and "due_soon"
# in the API.
DUE_WITHIN_DAYS = 2

SUBMITTED, OVERDUE, DUE_SOON, DUE = "submitted", "overdue", "due_soon", "due"


def form_due_date(session_day: dt.date, due_days: int | None) -> dt.date:
    """The due date of the form of a session held on `session_day` (local)."""
    return session_day + dt.timedelta(days=due_days or FORM_DUE_DAYS)


def site_today(now: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The site's calendar day at `now`: every due judgement is made on it."""
    return now.astimezone(zone).date()


def latest_today(now: dt.datetime) -> dt.date:
    """No site's day is later than this at `now` (no zone is a day ahead of UTC's date plus
    one): a query across sites takes the widest candidates, then judges each by its site."""
    return now.date() + dt.timedelta(days=1)


def listed_until(today: dt.date, soon_days: int = DUE_WITHIN_DAYS) -> dt.date:
    """The last due date counted as due soon on the site's `today`."""
    return today + dt.timedelta(days=soon_days)


def form_overdue(due_date: dt.date, today: dt.date) -> bool:
    return due_date < today


def form_due_state(
    *, due_date: dt.date, today: dt.date, submitted: bool, soon_days: int = DUE_WITHIN_DAYS
) -> str:
    """`submitted`, `overdue`, `due_soon` (due within `soon_days` of the site's `today`) or
    `due`."""
    if submitted:
        return SUBMITTED
    if form_overdue(due_date, today):
        return OVERDUE
    if due_date <= listed_until(today, soon_days):
        return DUE_SOON
    return DUE


def monitoring_forms_due(
    *, site_ids: list[int] | None, today: dt.date
) -> QuerySet[MonitoringFormItem]:
    """Open forms due on or before `listed_until(today)` (overdue ones included), oldest first.
    `site_ids=None` means every site."""
    qs = MonitoringFormItem.objects.filter(
        status=MonitoringFormItem.Status.OPEN,
        due_date__lte=listed_until(today),
    ).select_related("patient", "session", "site")
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    return qs.order_by("due_date", "id")


def monitoring_forms_due_now(
    *, site_ids: list[int] | None, now: dt.datetime
) -> list[MonitoringFormItem]:
    """The same list across several sites, each judged by its own local date."""
    return [
        item
        for item in monitoring_forms_due(site_ids=site_ids, today=latest_today(now))
        if item.due_date <= listed_until(site_today(now, item.site.zone))
    ]


def _clinician_addresses(site: Site) -> list[str]:
    return sorted(
        {u.email for u in site.staff.filter(is_active=True, groups__name=ROLE_CLINICIAN) if u.email}
    )


def monitoring_digest_body(
    *, site_name: str, items: list[MonitoringFormItem], today: dt.date
) -> str:
    """Counts and a link to the due list, never who: email is not a private channel (SMTP is
    often without TLS between servers), so no name, MRN or session date goes in it."""
    overdue = sum(1 for item in items if form_overdue(item.due_date, today))
    link = absolute_url("/api/v1/charting/monitoring-forms/due") or (
        "the REMS monitoring forms due list in the clinic service"
    )
    return (
        f"REMS patient monitoring forms to submit for {site_name}: "
        f"{len(items) - overdue} form{'s' if len(items) - overdue != 1 else ''} due within "
        f"{DUE_WITHIN_DAYS} days, {overdue} overdue.\n\n"
        f"The list (sign in to see it):\n{link}\n\n"
        "Open each in the clinic service to print the prefilled draft and mark it submitted. "
        "This email carries no patient details on purpose."
    )


def monitoring_digest_send(
    *, site_id: int, now: dt.datetime | None = None
) -> MonitoringDigest | None:
    """Email the site's clinicians today's list (nothing when no form is due or none of them
    has an address). Returns the digest row, or None when the site is gone."""
    now = resolve_now(now)
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return None
    today = site_today(now, site.zone)
    existing = MonitoringDigest.objects.filter(site=site, day=today).first()
    if existing is not None:
        return existing
    items = list(monitoring_forms_due(site_ids=[site.pk], today=today))
    recipients = _clinician_addresses(site) if items else []
    try:
        with transaction.atomic():
            digest = MonitoringDigest.objects.create(
                site=site, day=today, item_count=len(items), recipients=recipients, sent_at=now
            )
            if items and recipients:
                # Sent inside the transaction: if sending fails, no digest row is kept and the
                # retry sends it.
                EmailMessage(
                    subject=f"{len(items)} REMS monitoring form(s) due: {display_text(site.name)}",
                    body=monitoring_digest_body(
                        site_name=display_text(site.name), items=items, today=today
                    ),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=recipients,
                ).send()
    except IntegrityError:
        return MonitoringDigest.objects.get(site=site, day=today)
    return digest
