"""The clinic itself: sites and their calendars, resources (rooms, chairs, devices), patients,
staff roles and API tokens."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, available_timezones

import holidays as holidays_lib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from clinic.calendar import SiteCalendar
from clinic.display_text import name_problem

# Staff roles are Django groups so admins manage them in the admin like any permission set.
ROLE_SCHEDULER = "scheduler"
ROLE_NURSE = "nurse"
ROLE_CLINICIAN = "clinician"
ROLE_ADMIN = "admin"
ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, ROLE_ADMIN)


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name (available_timezones() walks the tz database on each call)."""
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    # Checked against the zone list, not by loading it: ZoneInfo("America") opens a folder
    # (IsADirectoryError, a 500 in the admin), and a path could name any file on the server.
    if value not in zone_names():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/London)")


def validate_display_name(value: str) -> None:
    """A name shown on one line (feeds, email subjects, pages): no control characters, line
    breaks or bidirectional overrides (clinic/display_text.py says why)."""
    problem = name_problem(value)
    if problem:
        raise ValidationError(problem, code="display_name")


def validate_holiday_country(value: str) -> None:
    if value and value.upper() not in holidays_lib.list_supported_countries():
        raise ValidationError(f"{value!r} is not a country the holidays package knows")


class ResourceKind(models.TextChoices):
    TMS_CHAIR = "tms_chair", "TMS chair"
    TMS_DEVICE = "tms_device", "TMS device"
    ECT_SUITE = "ect_suite", "ECT suite"
    RECOVERY_BAY = "recovery_bay", "Recovery bay"
    MONITORING_CHAIR = "monitoring_chair", "Esketamine monitoring chair"


class Site(models.Model):
    name = models.CharField(max_length=200, validators=[validate_display_name])
    slug = models.SlugField(unique=True)
    timezone = models.CharField(
        max_length=64, validators=[validate_timezone], default=settings.DEFAULT_SITE_TIMEZONE
    )
    address = models.TextField(blank=True)
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_holiday_country],
        help_text="ISO country code for public holidays (e.g. US, GB); blank for none.",
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="Optional state/province code, e.g. CA or ENG."
    )
    rems_certified = models.BooleanField(
        default=False,
        help_text="Certified in the Spravato REMS programme (needed to book esketamine).",
    )
    patient_feed_shows_treatment = models.BooleanField(
        default=False,
        help_text="Show the treatment name in patients' calendar feeds (off protects privacy).",
    )
    # Calendar feeds (scheduling/feeds.py, docs/feeds.md).
    feed_cancelled_days = models.PositiveSmallIntegerField(
        "keep cancelled sessions in feeds (days)",
        default=14,
        validators=[MaxValueValidator(365)],
        help_text="A cancelled session stays in calendar feeds, marked cancelled, this many days "
        "after it was cancelled, then drops out.",
    )
    staff_feed_shows_full_names = models.BooleanField(
        default=False,
        help_text="Show patients' full names in staff, room and site calendar feeds (off: "
        "initials and a short reference; a full name on a phone calendar is a privacy leak).",
    )
    feed_alarm_minutes = models.PositiveIntegerField(
        "default feed reminder (minutes before)",
        default=1440,
        validators=[MaxValueValidator(10080)],
        help_text="Reminder in patients' calendar feeds, in minutes before the arrival time; "
        "0 for none. A patient can change it on their page.",
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        "no-show grace (minutes after the start)",
        default=15,
        validators=[MaxValueValidator(240)],
        help_text="A session can be marked a no-show only this many minutes after its start "
        "(a patient running late is not a no-show yet).",
    )
    staff_idle_minutes = models.PositiveSmallIntegerField(
        "staff pages log out after (idle minutes)",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(720)],
        help_text="A staff session unused this long ends on its next request: a shared ward PC "
        "does not stay logged in (clinic/browser_privacy.py).",
    )
    feed_future_months = models.PositiveSmallIntegerField(
        "calendar feeds reach ahead (months)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Calendar feeds list sessions up to this many months ahead (and the past days "
        "the feed keeps): a bounded feed stays small and quick however long the clinic's "
        "history grows.",
    )
    patient_location_text = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where patients go, as their calendar shows it (e.g. 'Riverside Clinic, "
        "Suite 2'). Blank: the address. Name no treatment here.",
    )
    phone = models.CharField(
        "clinic phone",
        max_length=40,
        blank=True,
        help_text="The number patients call, shown on their page beside the opening hours.",
    )
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="sites", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.holiday_subdivision and not self.holiday_country:
            raise ValidationError({"holiday_subdivision": "Set the country first."})
        if self.holiday_country:
            try:
                holidays_lib.country_holidays(
                    self.holiday_country.upper(), subdiv=self.holiday_subdivision or None
                )
            except NotImplementedError as exc:
                raise ValidationError({"holiday_subdivision": str(exc)}) from exc

    def public_holidays(self, first_year: int, last_year: int) -> dict[dt.date, str]:
        if not self.holiday_country:
            return {}
        return dict(
            holidays_lib.country_holidays(
                self.holiday_country.upper(),
                subdiv=self.holiday_subdivision or None,
                years=range(first_year, last_year + 1),
            )
        )

    def calendar(self, start: dt.date, years: int = 3) -> SiteCalendar:
        """The plain-data calendar the planning engine works from, covering `years` from start.

        Uses prefetched opening_hours/closures when present (the caller decides the queries).
        """
        hours = {h.weekday: (h.opens, h.closes) for h in self.opening_hours.all()}
        end = dt.date(start.year + years, 12, 31)
        closed: dict[dt.date, str] = {
            day: f"public holiday: {name}"
            for day, name in self.public_holidays(start.year - 1, end.year).items()
        }
        for closure in self.closures.all():
            closed[closure.date] = f"closed: {closure.reason}"
        return SiteCalendar(zone=self.zone, hours=hours, closed=closed)


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["site", "weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(fields=["site", "weekday"], name="one_opening_per_weekday"),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opens_before_closes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """A day the site is closed (training day, building work), on top of public holidays."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "date"]
        constraints = [
            models.UniqueConstraint(fields=["site", "date"], name="one_closure_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.site} closed {self.date}: {self.reason}"


class Resource(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=32, choices=ResourceKind.choices)
    name = models.CharField(max_length=100, validators=[validate_display_name])
    active = models.BooleanField(default=True)
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["site", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="resource_name_unique_per_site"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.site})"


class PreferredContact(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"


class Patient(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=32)
    given_name = models.CharField(max_length=100, validators=[validate_display_name])
    family_name = models.CharField(max_length=100, validators=[validate_display_name])
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    rems_enrolled = models.BooleanField(
        "REMS enrolled", default=False, help_text="Enrolled in the Spravato REMS programme."
    )
    rems_patient_id = models.CharField(
        "REMS patient ID",
        max_length=32,
        blank=True,
        help_text="The patient's ID in the Spravato REMS programme (from the enrolment form).",
    )
    preferred_contact = models.CharField(
        max_length=8, choices=PreferredContact.choices, blank=True, default=""
    )
    companion_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="Who drives the patient home (esketamine: no driving until the next day).",
    )
    companion_phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            # Case-insensitive: `DUP-1` and `dup-1` are one record number (the service locks
            # and checks first; this is the backstop for whatever gets past it).
            models.UniqueConstraint(Lower("mrn"), "site", name="patient_mrn_ci_unique_per_site"),
        ]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class ApiToken(models.Model):
    """A per-user API token. Only an HMAC of the token is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class FormSubmission(models.Model):
    """One submitted page form, by its idempotency key (a random hidden field).

    A double tap or a resend from a flaky tablet connection carries the same key; the unique
    constraint lets the first submission through and turns the repeat into "already recorded"
    instead of a second record. The row is written in the same transaction as the change, so
    a refused submission leaves its key unused and the form can be corrected and resent.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Form {self.key[:8]}… by {self.user_id}"


class IdempotencyKey(models.Model):
    """The first answer to an API request sent with an `Idempotency-Key` header (clinic/
    idempotency.py): a client that lost the answer to a dropped connection sends the request
    again with the same key and gets this answer back instead of a second booking (or a 409
    for the booking it made itself). Keys are per user, kept 24 hours, and written in the same
    transaction as the change, so a refused request keeps no key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"Idempotency key {self.key[:8]}… of {self.user_id} ({self.operation})"
