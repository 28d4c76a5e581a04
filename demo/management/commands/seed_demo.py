"""Load the demo clinic (one site, its resources, a user per role, a few patients) and its
living courses (demo/courses.py), relative to today.

Idempotent: running it again brings the demo rows back to their published state (passwords,
opening hours) without duplicating anything. Refuses to run unless DEBUG is on or --force is
given, because the demo logins and tokens are public.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from clinic import clock
from clinic.models import ApiToken, OpeningHours, Patient, Resource, Site
from clinic.services import site_closure_add, staff_grant_role
from clinic.tokens import hash_token
from demo import clinic as demo_clinic
from demo.courses import demo_courses_seed
from demo.feeds import demo_feed_links
from demo.self_report import demo_self_report_course


def site_today(site: Site) -> dt.date:
    """Today at the site (the demo's "this morning" is the site's morning)."""
    return clock.now().astimezone(site.zone).date()


class Command(BaseCommand):
    help = "Create or refresh the demo clinic with published logins (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo passwords and tokens are public: never "
            "use this on a server holding real patients.",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with published passwords; it only runs with DEBUG=1 "
                "(or --force, never on a server with real patients)."
            )
        if not settings.DEBUG:
            self.stderr.write(self.style.WARNING("DEBUG is off: seeding demo users anyway."))
        summary = seed_demo(today=timezone.localdate(clock.now()))
        # The living part: courses at every stage, booked and charted through the services.
        site = Site.objects.get(slug=demo_clinic.SITE_SLUG)
        staff = {spec.role: User.objects.get(username=spec.username) for spec in demo_clinic.USERS}
        courses = demo_courses_seed(site=site, today=site_today(site), staff=staff)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready: {summary['site']} with {summary['resources']} resources, "
                f"{summary['users']} staff users, {summary['patients']} patients "
                f"({summary['created']} rows created)."
            )
        )
        if courses["missing_protocols"]:
            self.stdout.write(
                self.style.WARNING(
                    "No demo courses: run load_protocols and load_form_templates first (missing "
                    f"{', '.join(courses['missing_protocols'])})."
                )
            )
        else:
            self.stdout.write(
                f"Demo courses for {courses['day']:%A %d %B %Y}: "
                f"{len(courses['created'])} created, {len(courses['skipped'])} already there."
            )
        self.stdout.write(demo_clinic.logins_text())
        self.stdout.write(demo_feed_links())
        self.stdout.write(demo_self_report_course(today=timezone.localdate(clock.now())))


def _upcoming_closure_date(today: dt.date) -> dt.date:
    # A weekday, so the closure visibly removes an opening day from planning.
    day = today + dt.timedelta(days=demo_clinic.CLOSURE_DAYS_AHEAD)
    while day.weekday() not in demo_clinic.WEEKDAYS_OPEN:
        day += dt.timedelta(days=1)
    return day


@transaction.atomic
def seed_demo(*, today: dt.date) -> dict[str, Any]:
    """Create or refresh the demo rows; return counts for the summary line."""
    created = 0
    site, was_created = Site.objects.update_or_create(
        slug=demo_clinic.SITE_SLUG,
        defaults={
            "name": demo_clinic.SITE_NAME,
            "timezone": demo_clinic.SITE_TIMEZONE,
            "holiday_country": demo_clinic.SITE_HOLIDAY_COUNTRY,
            "holiday_subdivision": demo_clinic.SITE_HOLIDAY_SUBDIVISION,
            "address": demo_clinic.SITE_ADDRESS,
            "rems_certified": True,
        },
    )
    site.full_clean()
    created += was_created
    for weekday in demo_clinic.WEEKDAYS_OPEN:
        _, was_created = OpeningHours.objects.update_or_create(
            site=site,
            weekday=weekday,
            defaults={"opens": demo_clinic.OPENS, "closes": demo_clinic.CLOSES},
        )
        created += was_created
    # One upcoming closure is enough for the demo; do not add another each run.
    if not site.closures.filter(date__gte=today).exists():
        site_closure_add(
            site=site, date=_upcoming_closure_date(today), reason=demo_clinic.CLOSURE_REASON
        )
        created += 1
    for kind, name in demo_clinic.RESOURCES:
        _, was_created = Resource.objects.update_or_create(
            site=site, name=name, defaults={"kind": kind, "active": True}
        )
        created += was_created

    for spec in demo_clinic.USERS:
        user, was_created = User.objects.get_or_create(username=spec.username)
        created += was_created
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.email = f"{spec.username}@riverside.example"
        user.is_active = True
        # Only the admin persona uses the Django admin; the others work through the API/pages.
        user.is_staff = user.is_superuser = spec.role == "admin"
        user.set_password(spec.password)
        user.save()
        staff_grant_role(user=user, role=spec.role, site=site)
        token_hash = hash_token(spec.token)
        if not ApiToken.objects.filter(token_hash=token_hash).exists():
            ApiToken.objects.create(
                user=user, name="demo", prefix=spec.token[:12], token_hash=token_hash
            )
            created += 1
        # A demo token revoked while trying the API comes back on the next seed.
        ApiToken.objects.filter(token_hash=token_hash).update(revoked_at=None, user=user)

    for person in demo_clinic.PATIENTS:
        # get_or_create, not update_or_create: patients keep history, and a re-run must not
        # add a history entry per patient (nor undo what someone typed while trying the demo).
        _, was_created = Patient.objects.get_or_create(
            site=site,
            mrn=person.mrn,
            defaults={
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": person.date_of_birth,
                "sex": person.sex,
                "rems_enrolled": person.rems_enrolled,
                "email": (
                    f"{person.given_name.lower()}.{person.family_name.lower()}@patient.example"
                ),
            },
        )
        created += was_created

    return {
        "site": site.name,
        "resources": site.resources.count(),
        "users": len(demo_clinic.USERS),
        "patients": site.patients.count(),
        "created": created,
    }
