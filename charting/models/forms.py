"""The form templates and the screening checklists filled on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from charting.spec import TemplateSpec, parse_template
from clinic.models import Patient, Site
from scheduling.models import Course, Session

USER = settings.AUTH_USER_MODEL


class FormTemplate(models.Model):
    """One version of a form template; records point at the version they were filled on."""

    class Kind(models.TextChoices):
        SCREENING = "screening", "Screening checklist"
        OBSERVATION = "observation", "Observation form"

    slug = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    modality = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=200)
    spec = models.JSONField()
    builtin = models.BooleanField(default=False, help_text="Loaded from charting/library/.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="form_template_slug_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def parsed(self) -> TemplateSpec:
        cached = getattr(self, "_parsed", None)
        if cached is None or cached[0] is not self.spec:
            cached = (self.spec, parse_template(self.spec))
            self._parsed = cached
        return cached[1]


class ScreeningResponse(models.Model):
    """A completed screening checklist for a course (once) or a session (each time).

    Blocks treatment while it has an uncleared hard stop (needs a clinician override with a
    reason) or unreviewed review items (needs a clinician review).
    """

    class Level(models.TextChoices):
        COURSE = "course", "Course"
        SESSION = "session", "Session"

    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="screenings")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="screenings", null=True, blank=True
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    answers = models.JSONField()
    hard_stops = models.JSONField(default=list, blank=True)
    review_items = models.JSONField(default=list, blank=True)
    completed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=1000, blank=True)
    override_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=1000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(level="course"),
                name="one_course_screening_per_course",
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(level="session"),
                name="one_session_screening_per_session",
            ),
            models.CheckConstraint(
                condition=models.Q(level="course", session__isnull=True)
                | models.Q(level="session", session__isnull=False),
                name="screening_level_matches_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} ({self.level}) for {self.patient}"

    @property
    def status(self) -> str:
        """clear | hard_stop | needs_review | overridden | reviewed."""
        if self.hard_stops:
            return "overridden" if self.override_at else "hard_stop"
        if self.review_items:
            return "reviewed" if (self.reviewed_at or self.override_at) else "needs_review"
        return "clear"

    @property
    def blocking(self) -> bool:
        return self.status in ("hard_stop", "needs_review")
