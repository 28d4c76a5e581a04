"""Day-before reminders to patients, by email through Django's email backend (console in
development, SMTP in production: docs/deployment.md).

Privacy: a reminder says when and where, never what. Subject and body carry no treatment,
protocol, modality or diagnosis (an email preview is read over shoulders and on lock screens).

At most one reminder per session: a `ReminderDelivery` row (unique per session) is claimed
("sending", with `claimed_at`) before sending, so a retried or repeated run finds it and sends
nothing. A failed send marks the row failed and raises, so django-q2 retries it (bounded by
Q_CLUSTER max_attempts). A failed row may be claimed again, and so may a claim older than the
task timeout: its worker was killed mid-send (SIGKILL, OOM, a host restart) without marking the
row, since django-q2 ends any task at its timeout. The retry (after Q_CLUSTER retry > timeout
seconds) or the hourly sweep takes it up. The cost is that a worker killed after the SMTP server
accepted the message but before the row said "sent" sends it twice: one extra reminder, never
a lost one. Rows stuck in "sending" are listed by `stuck_reminders` (the background-work page,
`manage.py worker_health`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from clinic.clock import wall_now  # claims race django-q2's real task timeout
from clinic.models import Site
from scheduling.availability import local_day_bounds
from scheduling.feed_selectors import site_patient_place
from scheduling.models import ReminderDelivery, Session

TASK = "send_session_reminder"


@dataclass(frozen=True)
class Reminder:
    subject: str
    body: str


def reminder_message(*, given_name: str, place: str, start_local: dt.datetime) -> Reminder:
    """The reminder text. Pure: when and where only. `place` is the site's patient-facing
    place (`site_patient_place`, as the feeds say it), never the site's name ("... Psychiatry"
    would say what the appointment is for)."""
    when = f"{start_local:%A %d %B} at {start_local:%H:%M}"
    where = place
    body = (
        f"Hello {given_name},\n\n"
        f"This is a reminder of your appointment tomorrow, {when}, at {where}.\n\n"
        "If you cannot come, please call us as soon as you can so that we can offer the time "
        "to someone else.\n\n"
        "This is an automatic message; replies are not read."
    )
    return Reminder(subject="Your appointment tomorrow", body=body)


def claim_timeout() -> dt.timedelta:
    """How long a "sending" claim may be live: the task timeout, after which django-q2 has
    killed the task if its worker did not die first."""
    timeout = settings.Q_CLUSTER.get("timeout")
    return dt.timedelta(seconds=timeout if isinstance(timeout, int) and timeout > 0 else 120)


def stale_claims(*, now: dt.datetime) -> Q:
    """Deliveries stuck in "sending" longer than a live worker could take (rows claimed
    before `claimed_at` existed count as stuck)."""
    cutoff = now - claim_timeout()
    return Q(status=ReminderDelivery.Status.SENDING) & (
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True)
    )


def stuck_reminders(*, now: dt.datetime | None = None) -> QuerySet[ReminderDelivery]:
    """Deliveries stuck in "sending" (their worker died mid-send); the retry or the next sweep
    sends them, and the background-work page lists them until then."""
    now = now or wall_now()
    return (
        ReminderDelivery.objects.filter(stale_claims(now=now))
        .select_related("session", "site")
        .order_by("claimed_at", "id")
    )


def reminders_due(*, now: dt.datetime | None = None) -> list[int]:
    """Sessions starting tomorrow (each site's local date) still scheduled and not yet
    reminded (or whose reminder claim is stale: see the module docstring), at sites where the
    local time has reached REMINDER_LOCAL_HOUR."""
    now = now or wall_now()
    ids: list[int] = []
    for site in Site.objects.all():
        local_now = now.astimezone(site.zone)
        if local_now.hour < settings.REMINDER_LOCAL_HOUR:
            continue
        start, end = local_day_bounds(local_now.date() + dt.timedelta(days=1), site.zone)
        ids += list(
            Session.objects.filter(
                site=site,
                start__gte=start,
                start__lt=end,
                status=Session.Status.SCHEDULED,
            )
            .filter(
                Q(reminder__isnull=True)
                | Q(reminder__in=ReminderDelivery.objects.filter(stale_claims(now=now)))
            )
            .values_list("id", flat=True)
        )
    return ids


def _claimable(row: ReminderDelivery, *, now: dt.datetime) -> bool:
    if row.status == ReminderDelivery.Status.FAILED:
        return True
    return row.status == ReminderDelivery.Status.SENDING and (
        row.claimed_at is None or row.claimed_at < now - claim_timeout()
    )


def reminder_send(*, session_id: int, now: dt.datetime | None = None) -> ReminderDelivery | None:
    """Send the reminder of one session unless it was sent (or skipped) already.

    Returns the delivery row, or None when the session is gone or no longer scheduled (the
    task records the skip).
    """
    now = now or wall_now()
    session = Session.objects.select_related("patient", "site").filter(pk=session_id).first()
    if session is None or session.status != Session.Status.SCHEDULED:
        return None
    address = session.patient.email.strip()
    with transaction.atomic():
        existing = ReminderDelivery.objects.select_for_update().filter(session=session).first()
        if existing is not None and not _claimable(existing, now=now):
            return existing
        if not address:
            row = existing or ReminderDelivery(session=session, site=session.site, created_at=now)
            row.status = ReminderDelivery.Status.SKIPPED
            row.reason = "no email address on file"
            row.save()
            return row
        row = existing or ReminderDelivery(session=session, site=session.site, created_at=now)
        row.status = ReminderDelivery.Status.SENDING
        row.address = address
        row.claimed_at = now
        row.attempts += 1
        try:
            row.save()
        except IntegrityError:
            # Another worker claimed it between our read and write: theirs is the one.
            return ReminderDelivery.objects.get(session=session)
    message = reminder_message(
        given_name=session.patient.given_name,
        place=site_patient_place(session.site),
        start_local=session.start.astimezone(session.site.zone),
    )
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        ).send()
    except Exception as exc:
        ReminderDelivery.objects.filter(pk=row.pk).update(
            status=ReminderDelivery.Status.FAILED, reason=str(exc)[:300]
        )
        raise
    ReminderDelivery.objects.filter(pk=row.pk).update(
        status=ReminderDelivery.Status.SENT, sent_at=wall_now(), reason=""
    )
    row.refresh_from_db()
    return row
