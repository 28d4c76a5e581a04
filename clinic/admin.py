"""Django admin for the clinic: sites with their calendars, resources, patients and API tokens.

Staff roles are Django groups (created by migration clinic/0002_roles) and are managed on the
user page like any other group.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import AbstractUser, Group
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_fields import BoundedIdsAdminMixin
from clinic.errors import DomainError
from clinic.models import ApiToken, Closure, OpeningHours, Patient, Resource, Site
from clinic.permissions import acting_user
from clinic.services import api_token_revoke


class SiteMembershipInline(admin.TabularInline):
    """The sites a staff member works at, on the user page (roles are the user's groups)."""

    model = Site.staff.through
    extra = 0
    verbose_name = "site membership"
    verbose_name_plural = "site memberships (the user sees only these sites' data)"


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(BoundedIdsAdminMixin, GroupAdmin):
    pass


@admin.register(User)
class StaffUserAdmin(BoundedIdsAdminMixin, UserAdmin):
    inlines = (*UserAdmin.inlines, SiteMembershipInline)
    list_display = ("username", "first_name", "last_name", "is_active", "is_staff", "roles")
    list_filter = ("groups", "sites", "is_active", "is_staff", "is_superuser")

    @admin.display(description="roles")
    def roles(self, obj: AbstractUser) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    max_num = 7


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ("date", "reason")
    ordering = ("-date",)


class ResourceInline(admin.TabularInline):
    model = Resource
    extra = 0
    fields = ("kind", "name", "active", "notes")
    show_change_link = True


@admin.register(Site)
class SiteAdmin(BoundedIdsAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "timezone",
        "holiday_country",
        "holiday_subdivision",
        "rems_certified",
    )
    list_filter = ("rems_certified", "holiday_country", "timezone")
    search_fields = ("name", "slug", "address")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("staff",)
    inlines = (OpeningHoursInline, ClosureInline, ResourceInline)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "kind", "active")
    list_filter = ("site", "kind", "active")
    list_editable = ("active",)
    search_fields = ("name", "notes", "site__name")
    list_select_related = ("site",)


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = (
        "mrn",
        "family_name",
        "given_name",
        "date_of_birth",
        "site",
        "rems_enrolled",
    )
    list_display_links = ("mrn", "family_name")
    list_filter = ("site", "rems_enrolled")
    search_fields = ("mrn", "family_name", "given_name", "email", "phone")
    list_select_related = ("site",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("site", "mrn", "given_name", "family_name", "date_of_birth", "sex")}),
        ("Contact", {"fields": ("phone", "email", "address")}),
        ("Programmes", {"fields": ("rems_enrolled",)}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )


@admin.action(description="Revoke the selected tokens")
def revoke_tokens(modeladmin: ApiTokenAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    revoked = 0
    for token in queryset.filter(revoked_at__isnull=True):
        try:
            api_token_revoke(token=token, by=acting_user(request))
        except DomainError:
            continue  # revoked by someone else meanwhile: the outcome is what was asked
        revoked += 1
    modeladmin.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_token` (which shows the raw token once),
    never here: the admin could only store a hash it has no token for."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "prefix", "user__username", "user__email")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = (revoke_tokens,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
