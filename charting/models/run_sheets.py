"""A site's stored run sheet of one day."""

from __future__ import annotations

from django.db import models

from clinic.models import Site


class RunSheet(models.Model):
    """A site's run sheet for one day as it stood when the evening job (or a person) stored it;
    downloadable later from the API. Regenerating replaces it (one per site and day)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="run_sheets")
    day = models.DateField()
    pdf = models.BinaryField()
    session_count = models.PositiveIntegerField()
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "site"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="one_run_sheet_per_site_day"),
        ]

    def __str__(self) -> str:
        return f"Run sheet {self.site} {self.day}"
