"""The post-session observation record: its checkpoints, the values taken at them and the
amendments that correct a value (a new entry; the original stays visible)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from charting.models.forms import FormTemplate
from clinic.models import Patient, Site
from scheduling.models import Session

USER = settings.AUTH_USER_MODEL


class ObservationRecord(models.Model):
    """The post-session observation form of one session, opened when the session starts."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SIGNED = "signed", "Signed"

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="observation")
    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="observations")
    anchor_at = models.DateTimeField(help_text="Dose or procedure time checkpoints count from.")
    anchor_recorded = models.BooleanField(
        default=False, help_text="False while the anchor is still the session start time."
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    # A clinician who signed the discharge over an unacknowledged severe alert, and why.
    cosigned_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    cosign_reason = models.CharField(max_length=1000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", signed_at__isnull=True)
                | models.Q(status="signed", signed_at__isnull=False),
                name="observation_signed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Observation of {self.session}"


class ObservationCheckpoint(models.Model):
    record = models.ForeignKey(
        ObservationRecord, on_delete=models.PROTECT, related_name="checkpoints"
    )
    key = models.CharField(max_length=48)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()
    offset_minutes = models.PositiveIntegerField()
    before_anchor = models.BooleanField(default=False)
    required = models.BooleanField(default=True)
    discharge = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["record", "position"]
        constraints = [
            models.UniqueConstraint(fields=["record", "key"], name="checkpoint_key_per_record"),
        ]

    def __str__(self) -> str:
        return f"{self.label} due {self.due_at:%H:%M}Z"


class ObservationEntry(models.Model):
    """One value taken at a checkpoint. Entries are never changed after signing: an amendment
    adds a new entry and marks this one `superseded_by` it."""

    record = models.ForeignKey(ObservationRecord, on_delete=models.PROTECT, related_name="entries")
    checkpoint = models.ForeignKey(
        ObservationCheckpoint, on_delete=models.PROTECT, related_name="entries"
    )
    field_key = models.CharField(max_length=48)
    value = models.JSONField()
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    alert_message = models.CharField(max_length=300, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    is_amendment = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "observation entries"
        ordering = ["record", "checkpoint__position", "field_key", "taken_at", "id"]
        indexes = [models.Index(fields=["record", "checkpoint", "field_key"])]

    def __str__(self) -> str:
        return f"{self.checkpoint.key}.{self.field_key} = {self.value}"


class Amendment(models.Model):
    record = models.ForeignKey(
        ObservationRecord, on_delete=models.PROTECT, related_name="amendments"
    )
    original = models.ForeignKey(ObservationEntry, on_delete=models.PROTECT, related_name="+")
    replacement = models.ForeignKey(ObservationEntry, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=1000)
    amended_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["amended_at", "id"]

    def __str__(self) -> str:
        return f"Amendment of {self.original_id} by {self.amended_by_id}"
