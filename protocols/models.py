"""Versioned protocol definitions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from protocols.spec import Modality, ProtocolSpec, parse_spec


class Protocol(models.Model):
    """One version of a protocol. A version any course uses is immutable (see services)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    slug = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    modality = models.CharField(max_length=16, choices=[(m.value, m.name) for m in Modality])
    name = models.CharField(max_length=200)
    indication = models.CharField(max_length=200)
    spec = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    builtin = models.BooleanField(default=False, help_text="Loaded from protocols/library/.")
    # The site whose clinicians publish, retire and book it. Empty: a built-in (or a
    # superuser's protocol for every site), read-only to all but superusers. Every version of
    # a slug has the slug's site (protocols/services.py `protocol_editor_require`).
    site = models.ForeignKey(
        "clinic.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="protocols",
        help_text="The owning site; empty for built-ins.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    # Set (once) by the booking service when a course first uses this version: from then on the
    # version is immutable. Kept here so protocols never has to look at courses.
    first_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="protocol_slug_version"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def parsed(self) -> ProtocolSpec:
        cached = getattr(self, "_parsed", None)
        if cached is None or cached[0] is not self.spec:
            cached = (self.spec, parse_spec(self.spec))
            self._parsed = cached
        return cached[1]

    @property
    def in_use(self) -> bool:
        return self.first_used_at is not None
