"""Courses, sessions and the resources they hold."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

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
            protocol_mark_used(protocol=self.protocol, now=timezone.now())
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

    def save(self, *args, **kwargs) -> None:
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
