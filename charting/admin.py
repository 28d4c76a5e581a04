"""Django admin for charting: templates are editable data; clinical records are read-only
(changes go through the services, which keep amendments and history) and never deletable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from charting.models import (
    Alert,
    Amendment,
    FormTemplate,
    MonitoringFormItem,
    ObservationEntry,
    ObservationRecord,
    ScaleAdministration,
    ScreeningResponse,
    TreatmentParameters,
)


@admin.register(FormTemplate)
class FormTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("slug", "version", "name", "kind", "modality", "builtin")
    list_filter = ("kind", "modality", "builtin")
    search_fields = ("slug", "name")
    readonly_fields = ("created_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClinicalRecordAdmin(SimpleHistoryAdmin):
    """Read-only: a clinical record is changed only through the services (amendments)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScreeningResponse)
class ScreeningResponseAdmin(ClinicalRecordAdmin):
    list_display = ("id", "template", "level", "patient", "completed_at", "override_at")
    list_filter = ("level",)


@admin.register(ObservationRecord)
class ObservationRecordAdmin(ClinicalRecordAdmin):
    list_display = ("id", "session", "template", "status", "anchor_at", "signed_at")
    list_filter = ("status",)


@admin.register(ObservationEntry)
class ObservationEntryAdmin(ClinicalRecordAdmin):
    list_display = ("id", "record", "checkpoint", "field_key", "taken_at", "alert_message")


@admin.register(Amendment)
class AmendmentAdmin(ClinicalRecordAdmin):
    list_display = ("id", "record", "amended_by", "amended_at", "reason")


@admin.register(TreatmentParameters)
class TreatmentParametersAdmin(ClinicalRecordAdmin):
    list_display = ("session", "modality", "recorded_by", "recorded_at")


@admin.register(ScaleAdministration)
class ScaleAdministrationAdmin(ClinicalRecordAdmin):
    list_display = ("id", "patient", "scale", "total", "band", "administered_at")
    list_filter = ("scale",)


@admin.register(Alert)
class AlertAdmin(ClinicalRecordAdmin):
    list_display = ("id", "kind", "patient", "message", "raised_at", "acknowledged_at")
    list_filter = ("kind",)


@admin.register(MonitoringFormItem)
class MonitoringFormItemAdmin(ClinicalRecordAdmin):
    list_display = ("id", "patient", "due_date", "status", "submitted_at", "submitted_how")
    list_filter = ("status",)
