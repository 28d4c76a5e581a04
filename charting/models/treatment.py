"""What was delivered in a session."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from clinic.models import Site
from scheduling.models import Session

USER = settings.AUTH_USER_MODEL


class TreatmentParameters(models.Model):
    """What was delivered in a session (TMS, ECT or esketamine shape, see parameters.py)."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="parameters")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    modality = models.CharField(max_length=16)
    values = models.JSONField()
    flags = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "treatment parameters"

    def __str__(self) -> str:
        return f"{self.modality} parameters of {self.session}"
