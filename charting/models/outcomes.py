"""Outcome scales (entered by staff or by the patient) and the early-improvement review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from clinic.models import Patient, Site
from scheduling.models import Course, Session

USER = settings.AUTH_USER_MODEL


class ScaleSource(models.TextChoices):
    STAFF = "staff", "Entered by staff"
    PATIENT = "patient", "Patient, own device"


class ScaleAdministration(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="scales")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="scales", null=True, blank=True
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="scales")
    scale = models.CharField(max_length=16)
    items = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=32)
    safety_positive = models.BooleanField(default=False)
    administered_at = models.DateTimeField()
    # Who entered it: staff in clinic, or the patient on their own device (charting/
    # self_report.py; then recorded_by is empty). Labelled apart in trajectories.
    source = models.CharField(max_length=8, choices=ScaleSource.choices, default=ScaleSource.STAFF)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField()
    # A clinician marked this administration as the course's baseline on its scale, with a
    # reason (charting/outcomes.py `scale_baseline_mark`); otherwise the baseline is the one
    # taken before or at the first session (charting/scoring.py `baseline_index`).
    baseline_reason = models.CharField(max_length=500, blank=True)
    baseline_marked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    baseline_marked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "scale", "administered_at", "id"]
        indexes = [models.Index(fields=["course", "scale", "administered_at"])]

    def __str__(self) -> str:
        return f"{self.scale} {self.total} ({self.band}) for {self.patient}"


class EarlyReview(models.Model):
    """The early-improvement review of a course (CLINICAL.md §6): evaluated once, when the
    review session's score arrives. Kept when no review is needed too, so the course chart can
    show the point; `open` until the prescriber records a decision."""

    class Status(models.TextChoices):
        OPEN = "open", "Decision needed"
        NOT_NEEDED = "not_needed", "No review needed"
        DECIDED = "decided", "Decided"

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue the course"
        CHANGE = "change_protocol_or_target", "Change protocol or target"
        EXTEND = "extend", "Add sessions"
        STOP = "stop", "Stop the course"

    course = models.OneToOneField(Course, on_delete=models.PROTECT, related_name="early_review")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    scale = models.CharField(max_length=16)
    at_session = models.PositiveIntegerField()
    baseline = models.ForeignKey(ScaleAdministration, on_delete=models.PROTECT, related_name="+")
    measured = models.ForeignKey(ScaleAdministration, on_delete=models.PROTECT, related_name="+")
    baseline_total = models.PositiveSmallIntegerField()
    measured_total = models.PositiveSmallIntegerField()
    improvement_percent = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    threshold_percent = models.PositiveSmallIntegerField()
    evidence = models.CharField(max_length=500)
    citation = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    raised_at = models.DateTimeField()
    decision = models.CharField(max_length=32, choices=Decision.choices, blank=True)
    note = models.CharField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["site", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="decided", decided_at__isnull=False)
                | (~models.Q(status="decided") & models.Q(decided_at__isnull=True)),
                name="early_review_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Early-improvement review of course {self.course_id} ({self.status})"
