"""Django admin for scheduling: calendar feeds (revoke, rotate; tokens are never shown here
except the new one, once, right after a rotation)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from clinic.errors import DomainError
from clinic.permissions import filter_sites
from scheduling.feed_tokens import feed_revoke, feed_rotate
from scheduling.models import CalendarFeed


def _acting(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@admin.action(description="Revoke the selected feeds (their links stop working)")
def revoke_feeds(
    modeladmin: CalendarFeedAdmin, request: HttpRequest, queryset: QuerySet[CalendarFeed]
) -> None:
    done = 0
    for feed in queryset:
        try:
            feed_revoke(feed_id=feed.pk, by=_acting(request))
            done += 1
        except DomainError as exc:
            messages.error(request, f"{feed}: {exc.message}")
    if done:
        messages.success(request, f"Revoked {done} feed(s).")


@admin.action(description="Rotate the selected feeds (new links, shown once)")
def rotate_feeds(
    modeladmin: CalendarFeedAdmin, request: HttpRequest, queryset: QuerySet[CalendarFeed]
) -> None:
    for feed in queryset:
        try:
            rotated, token = feed_rotate(feed_id=feed.pk, by=_acting(request))
        except DomainError as exc:
            messages.error(request, f"{feed}: {exc.message}")
            continue
        url = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
        page = ""
        if rotated.kind == CalendarFeed.Kind.PATIENT:
            page = " Patient page: " + request.build_absolute_uri(
                reverse("patient-home", args=[token])
            )
        messages.warning(request, f"{rotated}: new link (shown only now, copy it): {url}.{page}")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Feeds are created through the API or the patient page (tokens are shown once there);
    here they are found, revoked and rotated. The stored HMAC is not a secret worth showing,
    and is not shown: the prefix tells feeds apart."""

    list_display = (
        "prefix",
        "kind",
        "site",
        "owner",
        "label",
        "created_at",
        "created_by",
        "rotated_at",
        "revoked_at",
    )
    list_filter = ("kind", "site", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "label", "patient__mrn", "patient__family_name", "user__username")
    fields = (
        "kind",
        "site",
        "patient",
        "user",
        "resource",
        "label",
        "prefix",
        "alarm_minutes",
        "created_at",
        "created_by",
        "rotated_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = (revoke_feeds, rotate_feeds)
    list_select_related = ("site", "patient", "user", "resource", "created_by")

    @admin.display(description="owner")
    def owner(self, obj: CalendarFeed) -> str:
        if obj.patient is not None:
            return f"{obj.patient.family_name}, {obj.patient.given_name} ({obj.patient.mrn})"
        if obj.user is not None:
            return obj.user.get_username()
        if obj.resource is not None:
            return obj.resource.name
        return "whole site"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarFeed]:
        return filter_sites(super().get_queryset(request), request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CalendarFeed | None = None) -> bool:
        # Revoke instead: a deleted row would lose who made the link and when.
        return False
