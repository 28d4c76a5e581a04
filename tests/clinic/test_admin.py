"""The Django admin for the clinic: every page an admin uses loads, and tokens stay secret."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clinic.models import ApiToken, Site
from clinic.services import api_token_create


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clinic/site/",
        "/admin/clinic/site/?q=river&rems_certified__exact=0",
        "/admin/clinic/resource/",
        "/admin/clinic/resource/?kind__exact=tms_chair&active__exact=1&q=TMS",
        "/admin/clinic/patient/",
        "/admin/clinic/patient/?q=MRN-001",
        "/admin/clinic/patient/?q=example",
        "/admin/clinic/apitoken/",
        "/admin/clinic/apitoken/?revoked_at__isempty=1",
        "/admin/auth/group/",
    ],
)
def test_admin_lists_load(admin_client_, patient, url):
    response = admin_client_.get(url)
    assert response.status_code == 200


def test_patient_search_finds_by_mrn_and_name(admin_client_, patient):
    assert b"MRN-001" in admin_client_.get("/admin/clinic/patient/?q=MRN-001").content
    assert b"MRN-001" in admin_client_.get("/admin/clinic/patient/?q=Example").content
    assert b"MRN-001" not in admin_client_.get("/admin/clinic/patient/?q=nobody").content


def test_site_page_edits_opening_hours_and_closures_inline(admin_client_, site):
    response = admin_client_.get(f"/admin/clinic/site/{site.pk}/change/")
    assert response.status_code == 200
    formsets = {f.formset.prefix for f in response.context["inline_admin_formsets"]}
    assert {"opening_hours", "closures"} <= formsets


def test_patient_history_is_visible(admin_client_, patient):
    patient.phone = "555-0100"
    patient.save()
    response = admin_client_.get(f"/admin/clinic/patient/{patient.pk}/history/")
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == 2


def test_token_page_never_shows_or_edits_the_hash(admin_client_, scheduler):
    row, raw = api_token_create(user=scheduler, name="script")
    response = admin_client_.get(f"/admin/clinic/apitoken/{row.pk}/change/")
    assert response.status_code == 200
    assert row.token_hash.encode() not in response.content
    assert raw.encode() not in response.content
    assert "token_hash" not in response.context["adminform"].form.fields
    # Tokens are only made by create_api_token, which can show the raw token once.
    assert admin_client_.get("/admin/clinic/apitoken/add/").status_code == 403


def test_revoke_action_revokes_only_the_selected_tokens(admin_client_, scheduler):
    first, _ = api_token_create(user=scheduler, name="one")
    second, _ = api_token_create(user=scheduler, name="two")
    response = admin_client_.post(
        "/admin/clinic/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [first.pk]},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_user_list_shows_roles_and_filters_by_site(admin_client_, nurse, outsider, site):
    response = admin_client_.get(f"/admin/auth/user/?sites__id__exact={site.pk}")
    assert response.status_code == 200
    shown = [u.username for u in response.context["cl"].result_list]
    assert "nina" in shown
    assert "olga" not in shown
    assert b"nurse" in response.content


def test_user_page_assigns_sites(admin_client_, nurse, site, other_site):
    url = f"/admin/auth/user/{nurse.pk}/change/"
    page = admin_client_.get(url)
    assert [f.formset.prefix for f in page.context["inline_admin_formsets"]] == ["Site_staff"]
    membership = Site.staff.through.objects.get(user=nurse, site=site)
    response = admin_client_.post(
        url,
        {
            "username": "nina",
            "is_active": "on",
            "groups": [g.pk for g in nurse.groups.all()],
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
            "Site_staff-TOTAL_FORMS": "2",
            "Site_staff-INITIAL_FORMS": "1",
            "Site_staff-MIN_NUM_FORMS": "0",
            "Site_staff-MAX_NUM_FORMS": "1000",
            "Site_staff-0-id": membership.pk,
            "Site_staff-0-user": nurse.pk,
            "Site_staff-0-site": site.pk,
            "Site_staff-1-user": nurse.pk,
            "Site_staff-1-site": other_site.pk,
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert set(nurse.sites.values_list("slug", flat=True)) == {"riverside", "hilltop"}


def test_adding_a_closure_in_the_admin_warns_about_sessions_booked_that_day(
    admin_user, site, patient, monkeypatch
):
    import datetime as dt
    from types import SimpleNamespace

    from django.contrib import admin as django_admin
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from clinic.models import Closure
    from scheduling.admin import SchedulingSiteAdmin as SiteAdmin
    from tests.support.factories import make_course, make_session

    day = dt.date(2026, 3, 4)
    course = make_course(patient=patient, booked_by=admin_user)
    make_session(course=course, start=dt.datetime(2026, 3, 4, 14, 0, tzinfo=dt.UTC))
    closure = Closure.objects.create(site=site, date=day, reason="boiler")
    other = Closure.objects.create(site=site, date=day + dt.timedelta(days=1), reason="boiler")
    request = RequestFactory().post("/admin/clinic/site/")
    request.user = admin_user
    request.session = SessionStore()
    # MessageMiddleware sets this attribute; RequestFactory requests skip the middleware.
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    formset = SimpleNamespace(model=Closure, new_objects=[closure, other], changed_objects=[])
    # The inline has saved already; only the warning is under test here.
    monkeypatch.setattr(django_admin.ModelAdmin, "save_formset", lambda *a, **k: None)

    SiteAdmin(site.__class__, django_admin.site).save_formset(
        request, SimpleNamespace(instance=site), formset, change=True
    )

    shown = [str(m) for m in get_messages(request)]
    assert len(shown) == 1
    assert "1 session(s) are still booked on 2026-03-04" in shown[0]
    assert f"/api/v1/sites/{site.pk}/closures" in shown[0]
