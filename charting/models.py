"""What happened: screening responses, observation records, amendments, alerts, treatment
parameters, outcome scales and the esketamine monitoring-form queue.

Every clinical model keeps its history (django-simple-history). Nothing here is deleted through
the API: foreign keys to sessions and courses PROTECT, and corrections are new rows (an
Amendment pointing at the entry it corrects), so the original stays visible.
"""

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
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "scale", "administered_at", "id"]
        indexes = [models.Index(fields=["course", "scale", "administered_at"])]

    def __str__(self) -> str:
        return f"{self.scale} {self.total} ({self.band}) for {self.patient}"


class Alert(models.Model):
    """Something a clinician must see: an out-of-range observation, a flagged treatment
    parameter, or a positive PHQ-9 item 9 (which a clinician must acknowledge)."""

    class Kind(models.TextChoices):
        OUT_OF_RANGE = "out_of_range", "Out-of-range observation"
        PARAMETER = "parameter", "Treatment parameter"
        SAFETY = "safety", "Safety item (PHQ-9 item 9)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
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

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


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
