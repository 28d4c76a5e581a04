"""What a clinician must see, and its acknowledgement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from charting.models.observations import ObservationEntry, ObservationRecord
from charting.models.outcomes import ScaleAdministration
from clinic.models import Patient, Site
from scheduling.models import Course, Session

USER = settings.AUTH_USER_MODEL


class Alert(models.Model):
    """Something a clinician must see: an out-of-range observation, a flagged treatment
    parameter, or a positive PHQ-9 item 9 (which a clinician must acknowledge)."""

    class Kind(models.TextChoices):
        OUT_OF_RANGE = "out_of_range", "Out-of-range observation"
        PARAMETER = "parameter", "Treatment parameter"
        SAFETY = "safety", "Safety item (PHQ-9 item 9)"
        SIDE_EFFECT = "side_effect", "Severe side effect (daily check-in)"
        TIMING = "timing", "Checkpoint taken outside its window"

    class Severity(models.TextChoices):
        # review: for the record (a late checkpoint); alert: out of range; severe: in the
        # template's severe range - blocks the discharge sign-off until acknowledged with a
        # note (charting/observations.py observation_sign_problem).
        REVIEW = "review", "Review"
        ALERT = "alert", "Alert"
        SEVERE = "severe", "Severe"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.ALERT)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="alerts")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    record = models.ForeignKey(
        ObservationRecord, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    entry = models.ForeignKey(
        ObservationEntry, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    scale = models.ForeignKey(
        ScaleAdministration, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    # A patient's own report (charting/self_report.py, charting/daily_checkin.py) raised it.
    self_report = models.ForeignKey(
        "SelfReport", on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    checkin = models.ForeignKey(
        "DailyCheckIn", on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    # What in the record raised it (a side-effect key): one alert per thing, however often
    # the patient saves.
    detail_key = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=500)
    raised_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["site", "acknowledged_at"])]
        constraints = [
            # Raised once per self-report, even when the patient submits twice.
            models.UniqueConstraint(
                fields=["self_report"],
                condition=models.Q(kind="safety", self_report__isnull=False),
                name="one_safety_alert_per_self_report",
            ),
            models.UniqueConstraint(
                fields=["checkin", "detail_key"],
                condition=models.Q(checkin__isnull=False),
                name="one_alert_per_checkin_detail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"
