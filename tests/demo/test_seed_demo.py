"""The demo clinic loaded by `make run`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from clinic.models import ApiToken, Closure, OpeningHours, Patient, Resource, ResourceKind, Site
from demo import clinic as demo_clinic
from demo.management.commands.seed_demo import seed_demo


def seed(**kwargs) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Site, OpeningHours, Closure, Resource, User, Patient, ApiToken)
    } | {"history": Patient.history.count()}


def test_refuses_to_run_in_production_without_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        seed()
    assert not User.objects.exists()
    assert not Site.objects.exists()


def test_force_overrides_the_production_guard(db, settings):
    settings.DEBUG = False
    seed(force=True)
    assert Site.objects.filter(slug="riverside").exists()


def test_creates_the_demo_clinic_and_prints_the_logins(db, settings):
    settings.DEBUG = True
    output = seed()
    site = Site.objects.get(slug="riverside")
    assert site.name == "Riverside Interventional Psychiatry"
    assert site.timezone == "America/New_York"
    assert site.holiday_country == "US"
    assert site.rems_certified
    hours = {h.weekday: (h.opens, h.closes) for h in site.opening_hours.all()}
    assert hours == {d: (dt.time(8), dt.time(18)) for d in range(5)}
    closure = site.closures.get()
    assert closure.reason
    assert closure.date > dt.date.today()
    kinds = {kind for kind in site.resources.values_list("kind", flat=True)}
    assert kinds == set(ResourceKind.values)
    patients = list(site.patients.all())
    assert len(patients) == 6
    assert sum(p.rems_enrolled for p in patients) == 1
    for spec in demo_clinic.USERS:
        assert f"{spec.username:<10} password {spec.password}" in output


@pytest.mark.parametrize("spec", demo_clinic.USERS, ids=lambda u: u.role)
def test_each_demo_login_works_with_its_role_and_site(db, settings, spec):
    settings.DEBUG = True
    seed()
    user = User.objects.get(username=spec.username)
    assert user.check_password(spec.password)
    assert list(user.groups.values_list("name", flat=True)) == [spec.role]
    assert list(user.sites.values_list("slug", flat=True)) == ["riverside"]
    assert user.is_staff is user.is_superuser is (spec.role == "admin")
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {spec.token}"})
    assert response.status_code == 200
    assert spec.role in response.json()["roles"]


def test_the_demo_admin_can_use_the_django_admin(db, settings):
    settings.DEBUG = True
    seed()
    client = Client()
    login = client.post("/admin/login/", {"username": "admin", "password": "demo-admin"})
    assert login.status_code == 302
    assert client.get("/admin/clinic/patient/").status_code == 200


def test_running_twice_changes_nothing(db, settings):
    settings.DEBUG = True
    seed()
    before = row_counts()
    User.objects.filter(username="nurse").update(is_active=False)
    ApiToken.objects.update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    seed()
    assert row_counts() == before
    # ...except that the published demo logins work again.
    assert User.objects.get(username="nurse").is_active
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_does_not_add_a_second_closure_when_one_is_upcoming(db):
    seed_demo(today=dt.date(2026, 3, 2))
    seed_demo(today=dt.date(2026, 3, 5))
    assert Closure.objects.count() == 1
    # Once the closure is in the past the demo gets a new upcoming one.
    seed_demo(today=dt.date(2026, 4, 1))
    assert Closure.objects.count() == 2
    dates = list(Closure.objects.values_list("date", flat=True))
    assert all(d.weekday() < 5 for d in dates)
