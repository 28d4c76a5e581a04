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


# --- measurement-based care between sessions (CLINICAL.md §6) ------------------------------

# United States default [SAMHSA 988]; each site sets its own.
DEFAULT_CRISIS_RESOURCES = (
    "If you are in immediate danger, call 911.\n"
    "Call or text 988 (the Suicide & Crisis Lifeline), any time, day or night.\n"
    "Or chat with the Lifeline at 988lifeline.org."
)
# Who calls back and how fast is CONFIG (CLINICAL.md §6, unsourced); item 9 above 0 needs a
# same-day safety assessment (CLINICAL.md §4).
DEFAULT_CALLBACK_PROMISE = (
    "Someone from the clinic will call you today. If the clinic is closed now, we will call you "
    "by noon on the next day we are open."
)


class SitePatientSettings(models.Model):
    """What a site's patients see when an answer signals risk, and whether daily check-ins are
    on for its courses unless a course says otherwise."""

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="patient_settings")
    crisis_resources = models.TextField(
        default=DEFAULT_CRISIS_RESOURCES,
        help_text="Shown at once when a patient's answer signals risk. One line each.",
    )
    callback_promise = models.CharField(
        max_length=500,
        default=DEFAULT_CALLBACK_PROMISE,
        help_text="Tells the patient that the clinic will contact them, and by when.",
    )
    daily_checkin_default = models.BooleanField(
        default=False, help_text="Daily check-ins on for new and existing courses by default."
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "site patient settings"

    def __str__(self) -> str:
        return f"Patient settings of {self.site}"


class CourseCheckinSetting(models.Model):
    """A clinician turned the daily check-in on or off for one course (overrides the site)."""

    course = models.OneToOneField(Course, on_delete=models.PROTECT, related_name="checkin_setting")
    enabled = models.BooleanField()
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Daily check-in {'on' if self.enabled else 'off'} for course {self.course_id}"


class SelfReport(models.Model):
    """A patient's own PHQ-9 or GAD-7 for one due point of a course.

    A draft keeps the answers given so far (the patient resumes where they stopped and may
    change an answer); submitting scores it into a ScaleAdministration (source "patient") and
    freezes it. Never deleted; every change is in the history.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        SUBMITTED = "submitted", "Submitted"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="self_reports")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="self_reports")
    scale = models.CharField(max_length=16)
    session_number = models.PositiveIntegerField()
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="self_reports", null=True, blank=True
    )
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Set for good the first time item 9 is answered above 0, even if the patient then
    # changes the answer: it was said, and a clinician follows it up.
    safety_positive = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    administration = models.OneToOneField(
        ScaleAdministration,
        on_delete=models.PROTECT,
        related_name="self_report",
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "scale", "session_number"], name="one_self_report_per_point"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", submitted_at__isnull=True)
                | models.Q(status="submitted", submitted_at__isnull=False),
                name="self_report_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scale} self-report (session {self.session_number}) of {self.patient}"


class DailyCheckIn(models.Model):
    """A patient's short daily check-in (CLINICAL.md §6): one per course per local day; saving
    again that day updates it and the history keeps the earlier answers."""

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="checkins")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="checkins")
    day = models.DateField(help_text="The site's local date.")
    # Required when saved (charting/daily_checkin.py: no default, never preselected); empty
    # only on a row that never had one, which is then not charted (a 0 would read as a crash).
    mood = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 (worst) to 10 (best)."
    )
    sleep_hours = models.DecimalField(max_digits=3, decimal_places=1)
    # {side-effect key from the protocol: "mild" | "moderate" | "severe"}; absent = none.
    side_effects = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True, max_length=1000)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "day"]
        constraints = [
            models.UniqueConstraint(fields=["course", "day"], name="one_checkin_per_course_day"),
            models.CheckConstraint(condition=models.Q(mood__lte=10), name="checkin_mood_0_10"),
            models.CheckConstraint(
                condition=models.Q(sleep_hours__gte=0, sleep_hours__lte=24),
                name="checkin_sleep_0_24",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.day} of {self.patient}"


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
