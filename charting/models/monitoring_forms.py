"""The esketamine REMS monitoring-form queue and the daily digest of the forms due."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from charting.models.forms import FormTemplate
from clinic.models import Patient, Site
from scheduling.models import Course, Session

USER = settings.AUTH_USER_MODEL


class MonitoringFormItem(models.Model):
    """A REMS Patient Monitoring Form to submit for an outpatient esketamine session (within 7
    days, docs/clinical.md §3), prefilled from the chart."""

    class Status(models.TextChoices):
        OPEN = "open", "Due"
        SUBMITTED = "submitted", "Submitted"

    class Method(models.TextChoices):
        ONLINE = "online", "REMS website"
        FAX = "fax", "Fax"
        PHONE = "phone", "Phone"
        OTHER = "other", "Other"

    session = models.OneToOneField(
        Session, on_delete=models.PROTECT, related_name="monitoring_form"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="monitoring_forms")
    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    prefill = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_how = models.CharField(max_length=10, choices=Method.choices, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["site", "status", "due_date"])]

    def __str__(self) -> str:
        return f"Monitoring form for {self.session} due {self.due_date}"


class MonitoringDigest(models.Model):
    """The daily list of REMS monitoring forms due within 2 days or overdue, sent to a site's
    clinicians: one per site and local day, so a repeated run sends nothing twice."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    item_count = models.PositiveIntegerField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "site"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="one_monitoring_digest_per_day"),
        ]

    def __str__(self) -> str:
        return f"Monitoring digest {self.site} {self.day} ({self.item_count})"
