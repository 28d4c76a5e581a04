"""Site services: creating a site with its calendar, closing a day, granting roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from clinic.errors import Conflict, InvalidInput
from clinic.models import Site
from clinic.services import site_closure_add, site_create, staff_grant_role

WEEKDAYS = [(d, dt.time(8), dt.time(18)) for d in range(5)]


def test_site_create_builds_the_calendar_the_engine_uses(db):
    site = site_create(
        name="Lakeside",
        slug="lakeside",
        timezone_name="Europe/London",
        holiday_country="GB",
        holiday_subdivision="ENG",
        opening_hours=WEEKDAYS,
        resources=[("tms_chair", "Chair 1"), ("ect_suite", "Suite")],
    )
    calendar = site.calendar(dt.date(2026, 3, 30))
    assert calendar.zone.key == "Europe/London"
    assert calendar.hours[0] == (dt.time(8), dt.time(18))
    assert 5 not in calendar.hours
    assert dt.date(2026, 4, 3) in calendar.closed  # Good Friday, an English bank holiday
    assert sorted(site.resources.values_list("kind", flat=True)) == ["ect_suite", "tms_chair"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone_name": "Mars/Olympus"}, "timezone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "", "holiday_subdivision": "CA"}, "holiday_subdivision"),
    ],
)
def test_site_create_rejects_a_bad_calendar_and_writes_nothing(db, overrides, field):
    args = {"name": "Bad", "slug": "bad", "timezone_name": "America/Chicago", **overrides}
    with pytest.raises(ValidationError) as excinfo:
        site_create(**args, opening_hours=WEEKDAYS)
    assert field in excinfo.value.message_dict
    assert not Site.objects.exists()


def test_opening_hours_must_open_before_they_close(db):
    with pytest.raises(ValidationError):
        site_create(
            name="Backwards",
            slug="backwards",
            timezone_name="America/Chicago",
            opening_hours=[(0, dt.time(18), dt.time(8))],
        )
    assert not Site.objects.exists()


def test_closing_a_day_twice_is_idempotent_but_a_different_reason_conflicts(site):
    day = dt.date(2026, 3, 9)
    first = site_closure_add(site=site, date=day, reason="Training")
    assert site_closure_add(site=site, date=day, reason="Training") == first
    with pytest.raises(Conflict) as excinfo:
        site_closure_add(site=site, date=day, reason="Flood")
    assert excinfo.value.code == "closure_exists"
    assert "Training" in excinfo.value.message
    with pytest.raises(InvalidInput):
        site_closure_add(site=site, date=dt.date(2026, 3, 10), reason="  ")
    assert site.closures.count() == 1


def test_granting_a_role_adds_the_group_and_the_site(site):
    user = User.objects.create_user("newbie")
    staff_grant_role(user=user, role="nurse", site=site)
    assert list(user.groups.values_list("name", flat=True)) == ["nurse"]
    assert list(user.sites.all()) == [site]
    with pytest.raises(InvalidInput) as excinfo:
        staff_grant_role(user=user, role="janitor")
    assert excinfo.value.code == "unknown_role"
