"""Django admin for protocol versions.

Every write goes through protocols.services, so the admin keeps the same rules as the API: the
spec is validated (errors name the path), new versions are numbered max+1, a version that a course
uses is read-only here (its spec is shown, not editable), and only admins and clinicians edit.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from clinic.errors import DomainError
from clinic.models import ROLE_ADMIN, ROLE_CLINICIAN, Site
from clinic.permissions import acting_user, filter_sites, user_roles
from protocols.models import Protocol
from protocols.services import (
    protocol_create_version,
    protocol_publish_site,
    protocol_retire,
    protocol_scope,
    protocol_spec_validate,
    protocol_update,
)
from protocols.spec import SpecError, parse_spec


def _is_editor(request: HttpRequest) -> bool:
    # A predicate, so an anonymous visitor is simply not an editor (acting_user would raise).
    user = request.user
    return isinstance(user, User) and bool(user_roles(user) & {ROLE_ADMIN, ROLE_CLINICIAN})


class ProtocolForm(forms.ModelForm):
    # Set by ProtocolAdmin.get_form: who is publishing (the site rules depend on it).
    acting: User | None = None

    class Meta:
        model = Protocol
        fields = ("slug", "name", "indication", "status", "site", "spec")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("slug"):
            site = data.get("site")
            try:
                protocol_publish_site(
                    by=self.acting, slug=data["slug"], site_id=site.pk if site else None
                )
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from None
        return data

    def clean_spec(self) -> Any:
        spec = self.cleaned_data["spec"]
        slug = self.cleaned_data.get("slug") or (self.instance.slug if self.instance.pk else None)
        try:
            protocol_spec_validate(spec=spec, slug=slug)
        except DomainError as exc:
            problems = exc.details.get("problems") or [exc.message]
            raise forms.ValidationError(problems) from None
        return spec


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    form = ProtocolForm
    list_display = ("slug", "version", "name", "modality", "status", "builtin", "in_use")
    list_display_links = ("slug", "version")
    list_filter = ("modality", "status", "builtin")
    search_fields = ("slug", "name", "indication")
    ordering = ("slug", "-version")
    actions = ("retire_versions", "validate_specs")

    # --- Queryset and columns ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Protocol]:
        # Built-ins and the user's sites' own protocols only (protocol_scope).
        rows = super().get_queryset(request).select_related("created_by", "site")
        user = request.user
        return rows.filter(protocol_scope(user=user)) if isinstance(user, User) else rows.none()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        # A fresh form class per request (modelform_factory): the publisher rides on it.
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting = request.user if isinstance(request.user, User) else None  # type: ignore[attr-defined]
        if "site" in form.base_fields and isinstance(request.user, User):
            # The user's own sites only; a superuser may leave it empty (every site).
            form.base_fields["site"].queryset = filter_sites(  # type: ignore[attr-defined]
                Site.objects.all(), request.user, field="id"
            )
        return form

    @admin.display(boolean=True, description="in use", ordering="first_used_at")
    def in_use(self, obj: Protocol) -> bool:
        return obj.in_use

    @admin.display(description="spec")
    def spec_readonly(self, obj: Protocol) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.spec, indent=2))

    @admin.display(description="total sessions")
    def total_sessions(self, obj: Protocol) -> int | str:
        try:
            return parse_spec(obj.spec).total_sessions
        except SpecError:
            return "invalid spec"

    # --- Form layout: a used version is read-only except its status ---

    def get_fields(self, request: HttpRequest, obj: Protocol | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("slug", "name", "indication", "status", "site", "spec")
        spec_field = "spec_readonly" if self.in_use(obj) else "spec"
        return (
            "slug",
            "version",
            "modality",
            "name",
            "indication",
            "status",
            "total_sessions",
            spec_field,
            "builtin",
            "site",
            "in_use",
            "created_by",
            "created_at",
            "retired_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Protocol | None = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["slug", "version", "modality", "builtin", "site", "in_use", "total_sessions"]
        fixed += ["created_by", "created_at", "retired_at"]
        if self.in_use(obj):
            fixed += ["name", "indication", "spec_readonly"]
        if not self.has_change_permission(request, obj):
            fixed += ["name", "indication", "status", "spec"]
        return list(dict.fromkeys(fixed))

    # --- Permissions: Django model permissions and the clinic role ---

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _is_editor(request)

    def has_change_permission(self, request: HttpRequest, obj: Protocol | None = None) -> bool:
        if obj is not None and obj.site_id is None and not request.user.is_superuser:
            return False  # a built-in is read-only to all but superusers
        return super().has_change_permission(request, obj) and _is_editor(request)

    def has_delete_permission(self, request: HttpRequest, obj: Protocol | None = None) -> bool:
        # A used version must stay (courses point at it); an unused draft may go.
        if obj is not None and self.in_use(obj):
            return False
        return super().has_delete_permission(request, obj) and _is_editor(request)

    # --- Saving through the services ---

    def save_model(
        self, request: HttpRequest, obj: Protocol, form: forms.ModelForm, change: bool
    ) -> None:
        user = acting_user(request)
        data = form.cleaned_data
        if not change:
            created = protocol_create_version(
                slug=data["slug"],
                name=data["name"],
                indication=data["indication"],
                spec=data["spec"],
                status=data["status"],
                site_id=data["site"].pk if data.get("site") else None,
                by=user,
            )
            # The admin goes on to log and redirect using `obj`: point it at the saved row.
            obj.pk, obj.version, obj.modality = created.pk, created.version, created.modality
            obj.created_at = created.created_at
            obj._state.adding = False
            obj._state.db = created._state.db
            return
        changed = set(form.changed_data)
        result = protocol_update(
            protocol=obj,
            by=user,
            name=data.get("name") if "name" in changed else None,
            indication=data.get("indication") if "indication" in changed else None,
            spec=data.get("spec") if "spec" in changed else None,
            status=data.get("status") if "status" in changed else None,
        )
        if result.pk != obj.pk:
            self.message_user(
                request,
                f"{obj.slug} v{obj.version} is used by courses, so the change was saved as "
                f"v{result.version}.",
                messages.WARNING,
            )

    # --- Actions ---

    @admin.action(description="Retire selected versions (no new courses; existing ones go on)")
    def retire_versions(self, request: HttpRequest, queryset: QuerySet[Protocol]) -> None:
        if not _is_editor(request):
            self.message_user(request, "Only an admin or clinician may retire.", messages.ERROR)
            return
        retired = 0
        for protocol in queryset.exclude(status=Protocol.Status.RETIRED):
            try:
                protocol_retire(protocol=protocol, by=acting_user(request))
            except DomainError as exc:
                self.message_user(request, f"{protocol}: {exc.message}", messages.ERROR)
                continue
            retired += 1
        self.message_user(request, f"Retired {retired} version(s).", messages.SUCCESS)

    @admin.action(description="Validate selected specs")
    def validate_specs(self, request: HttpRequest, queryset: QuerySet[Protocol]) -> None:
        valid = 0
        for protocol in queryset:
            try:
                parse_spec(protocol.spec)
                valid += 1
            except SpecError as exc:
                self.message_user(request, f"{protocol} is invalid: {exc}", messages.ERROR)
        if valid:
            self.message_user(request, f"{valid} spec(s) valid.", messages.SUCCESS)
