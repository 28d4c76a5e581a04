"""Admin for what scheduling adds to the clinic's pages, and calendar feeds.

The Site page is clinic's (clinic/admin.py); a closure added there only records the day. What
that means for booked sessions is scheduling's knowledge, so scheduling extends the Site admin
here rather than clinic reaching up into sessions.

Calendar feeds are found, revoked and rotated here; tokens are never shown, except the new one,
once, right after a rotation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from clinic.admin import SiteAdmin
from clinic.errors import DomainError
from clinic.models import Closure, Site
from clinic.permissions import filter_sites
from scheduling.availability import local_day_bounds
from scheduling.feed_tokens import feed_revoke, feed_rotate
from scheduling.models import CalendarFeed, ChangeRequest, Session


class SchedulingSiteAdmin(SiteAdmin):
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is not Closure:
            return
        # A closure added here only records the day: booked sessions are not moved silently
        # (moving clinical appointments is the scheduler's decision). Say so, and how.
        site = form.instance
        for closure in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
            lo, hi = local_day_bounds(closure.date, site.zone)
            booked = Session.objects.filter(
                site=site, active=True, start__gte=lo, start__lt=hi
            ).count()
            if booked:
                messages.warning(
                    request,
                    f"{booked} session(s) are still booked on {closure.date:%Y-%m-%d}, now "
                    f"closed. Re-plan them with POST /api/v1/sites/{site.pk}/closures "
                    '{"date": ..., "reason": ..., "replan": true} or reschedule them one by one.',
                )


admin.site.unregister(Site)
admin.site.register(Site, SchedulingSiteAdmin)


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
        return filter_sites(super().get_queryset(request), _acting(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CalendarFeed | None = None) -> bool:
        # Revoke instead: a deleted row would lose who made the link and when.
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """Patients' change requests, read here; staff answer them on /patients/ or the board
    (the service records who and when), so every field is read-only."""

    list_display = ("session", "patient", "site", "status", "created_at", "handled_by")
    list_filter = ("status", "site")
    search_fields = ("patient__mrn", "patient__family_name", "reason")
    readonly_fields = (
        "session",
        "patient",
        "site",
        "reason",
        "preferred_days",
        "created_at",
        "status",
        "handled_by",
        "handled_at",
        "staff_note",
    )
    list_select_related = ("session", "patient", "site", "handled_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChangeRequest]:
        return filter_sites(super().get_queryset(request), _acting(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ChangeRequest | None = None) -> bool:
        return False
