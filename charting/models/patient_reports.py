"""Measurement-based care between sessions (CLINICAL.md §6): what a site's patients see when
an answer signals risk, the daily check-in switch, self-reports and daily check-ins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from charting.models.outcomes import ScaleAdministration
from clinic.models import Patient, Site
from scheduling.models import Course, Session

USER = settings.AUTH_USER_MODEL


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
