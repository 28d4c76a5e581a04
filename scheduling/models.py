"""Courses, sessions and the resources they hold."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from clinic import clock
from clinic.models import Patient, Resource, Site
from protocols.models import Protocol
from protocols.services import protocol_mark_used


class Course(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="courses")
    modality = models.CharField(max_length=16, editable=False)
    start_date = models.DateField()
    preferred_time = models.TimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="prescribed_courses",
        null=True,
        blank=True,
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booked_courses"
    )
    status_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["site", "status"]), models.Index(fields=["patient"])]

    def __str__(self) -> str:
        return f"{self.protocol.name} for {self.patient} from {self.start_date}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            # The protocol version becomes immutable from its first course (whoever creates the
            # course: the booking service, a migration, a fixture). In the same transaction.
            protocol_mark_used(protocol=self.protocol, now=clock.now())
        super().save(*args, **kwargs)


class Session(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHECKED_IN = "checked_in", "Checked in"
        IN_PROGRESS = "in_progress", "In progress"
        OBSERVING = "observing", "Observing"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Sessions in these states no longer hold a place in the diary.
    INACTIVE = (Status.CANCELLED, Status.NO_SHOW)

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    # Denormalised from the course so that the database can forbid overlapping sessions for a
    # patient (an exclusion constraint cannot join) and the day board needs no join.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="sessions")
    phase = models.CharField(max_length=64)
    phase_index = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    observation_end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    active = models.BooleanField(default=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    scales_due = models.JSONField(default=list, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    # The patient's earliest discharge as charting last recorded it (dose/procedure time plus
    # the observation form's minimum): the observation hold runs to it where the resource is
    # free (scheduling/observation_holds.py). Null until a dose/procedure time is recorded.
    earliest_discharge = models.DateTimeField(null=True, blank=True, editable=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_per_course"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="session_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(observation_end__gte=models.F("end")),
                name="session_observation_after_end",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["course", "number"]),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} of course {self.course_id} at {self.start:%Y-%m-%d %H:%M}Z"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.active = self.status not in self.INACTIVE
        super().save(*args, **kwargs)


class ResourceHold(models.Model):
    """A session holding one resource for part of its time (procedure or observation)."""

    class Part(models.TextChoices):
        PROCEDURE = "procedure", "Procedure"
        OBSERVATION = "observation", "Observation"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="holds")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="holds")
    part = models.CharField(max_length=16, choices=Part.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    # Mirrors session.active; exclusion constraints can only see this row's own columns.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="hold_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["resource", "start"])]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}Z"


class ReminderDelivery(models.Model):
    """The day-before reminder of one session: at most one per session (the unique session),
    so a retried or repeated run never sends a second one. A session whose patient has no
    address is recorded as skipped, so the office can phone instead."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will be retried)"
        SKIPPED = "skipped", "Skipped"

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="reminder")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices)
    channel = models.CharField(max_length=16, default="email")
    address = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    # When the last attempt claimed the row ("sending"). A claim older than the task timeout
    # belongs to a worker that died mid-send and may be taken again (scheduling/reminders.py).
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["site", "status"])]

    def __str__(self) -> str:
        return f"Reminder for session {self.session_id}: {self.status}"


class ReplanOffer(models.Model):
    """Re-planning the protocol's missed-session rule would do after a no-show the nightly job
    marked, offered to staff instead of applied silently (a TMS make-up at the end of the
    course, CLINICAL.md §1). Staff accept (the make-up is booked) or dismiss it."""

    class Kind(models.TextChoices):
        APPEND_MAKEUP = "append_makeup", "Add a make-up session at the end of the course"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="replan_offer")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="replan_offers")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    result = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["site", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for session {self.session_id} ({self.status})"


class SkippedTask(models.Model):
    """A background task that found nothing to do with the object it was given (deleted,
    cancelled, already done): recorded, never raised, so the worker carries on and the admin
    shows why."""

    task = models.CharField(max_length=100)
    object_kind = models.CharField(max_length=50)
    object_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task}({self.object_kind} {self.object_id}): {self.reason}"


class CalendarFeed(models.Model):
    """A calendar subscription (`/calendar/<token>.ics`), and for a patient also their page
    (`/p/<token>/`). Only an HMAC of the token is stored (clinic/tokens.py); the token is shown
    once, when the feed is created or rotated. Services: scheduling/feed_tokens.py.

    Exactly the owner field its kind needs is set: patient and companion feeds a patient (the
    companion feed lists only pick-up times, for the person who drives the patient home), staff
    feeds a user, resource feeds a resource; site feeds none. `site` is always the site whose
    sessions, time zone and feed settings the feed uses.
    """

    class Kind(models.TextChoices):
        PATIENT = "patient", "Patient"
        COMPANION = "companion", "Companion (driver)"
        STAFF = "staff", "Staff member"
        RESOURCE = "resource", "Room or device"
        SITE = "site", "Whole site"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="calendar_feeds")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="calendar_feeds", null=True, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        null=True,
        blank=True,
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="calendar_feeds", null=True, blank=True
    )
    label = models.CharField(max_length=100, blank=True, help_text="e.g. who the companion is.")
    prefix = models.CharField(max_length=12, help_text="First characters, to tell feeds apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    # None: the site's default (Site.feed_alarm_minutes); 0: no reminder.
    alarm_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        help_text="Empty when the patient made it from their page.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When the feed last changed with no session changing: a cancelled session dropped out
    # after the site's retention period (scheduling/feed_expiry.py). Part of Last-Modified.
    content_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="calendar_feed_owner_matches_kind",
                condition=(
                    models.Q(
                        kind__in=["patient", "companion"],
                        patient__isnull=False,
                        user__isnull=True,
                        resource__isnull=True,
                    )
                    | models.Q(
                        kind="staff",
                        patient__isnull=True,
                        user__isnull=False,
                        resource__isnull=True,
                    )
                    | models.Q(
                        kind="resource",
                        patient__isnull=True,
                        user__isnull=True,
                        resource__isnull=False,
                    )
                    | models.Q(
                        kind="site", patient__isnull=True, user__isnull=True, resource__isnull=True
                    )
                ),
            ),
            # One live link per patient and per staff member and site: rotate to replace it.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(kind="patient", revoked_at__isnull=True),
                name="one_active_patient_feed",
            ),
            models.UniqueConstraint(
                fields=["user", "site"],
                condition=models.Q(kind="staff", revoked_at__isnull=True),
                name="one_active_staff_feed_per_site",
            ),
        ]
        indexes = [models.Index(fields=["patient", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed {self.prefix}… ({self.site})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class FeedRequestCount(models.Model):
    """How many feed requests one token made in one fixed window (scheduling/feed_limits.py).

    A row per token and window, counted by one UPSERT (`INSERT ... ON CONFLICT DO UPDATE ...
    RETURNING`, on SQLite and PostgreSQL alike), so every worker counts in the same place. The
    key is a hash of the token and the window start; the token itself is never stored here.
    Rows of past windows are deleted as new windows start."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.count} feed request(s) until {self.expires:.0f}"


class WorkerHeartbeat(models.Model):
    """The last run of the heartbeat task (every minute, setup_schedules): proof that the
    django-q2 cluster still runs tasks, not only that its processes are alive. One row per
    cluster name; `manage.py worker_health` and the background-work page read it."""

    cluster = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Heartbeat of {self.cluster} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class ChangeRequest(models.Model):
    """A patient's "ask to change this appointment" from their page (`/p/<token>/`): a reason
    and preferred days, in a staff queue on /patients/ and the board. It never moves anything
    by itself: staff reschedule or cancel on the session page, then mark it handled or
    declined with a note (scheduling/change_requests.py)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        HANDLED = "handled", "Handled"
        DECLINED = "declined", "Declined"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="change_requests")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    preferred_days = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["site", "status"])]
        constraints = [
            # One open request per session: a second ask is "already asked".
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(status="open"),
                name="one_open_change_request_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Change request for session {self.session_id} ({self.status})"
