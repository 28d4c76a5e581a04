"""The protocol admin: columns, read-only used versions, saving through the services, actions."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from protocols.models import Protocol
from scheduling.models import Course

CHANGELIST = "/admin/protocols/protocol/"
SPEC = {
    "modality": "tms",
    "phases": [{"name": "acute", "sessions": 20, "sessions_per_week": 5}],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}


@pytest.fixture
def library(db) -> None:
    call_command("load_protocols", stdout=io.StringIO())


def staff_client(user, *perms: str) -> Client:
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="protocols", codename__in=perms)
    )
    client = Client()
    client.force_login(user)
    return client


def in_use_cell(html: str, slug: str) -> str:
    """The in-use icon's alt text in the changelist row of `slug`."""
    row = next(r for r in html.split("<tr") if f">{slug}</a>" in r)
    match = re.search(r'class="field-in_use"><img[^>]*alt="(True|False)"', row)
    assert match, row
    return match.group(1)


ALL_PERMS = ("view_protocol", "add_protocol", "change_protocol", "delete_protocol")


def test_changelist_shows_versions_with_in_use(library, clinician, scheduler, patient, site):
    used = Protocol.objects.get(slug="ect-acute")
    Course.objects.create(
        patient=patient,
        protocol=used,
        site=site,
        modality="ect",
        start_date=dt.date(2026, 1, 12),
        preferred_time=dt.time(9, 0),
        booked_by=scheduler,
    )

    response = staff_client(clinician, *ALL_PERMS).get(CHANGELIST, {"q": "ect"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "ect-acute" in html and "ect-continuation" in html
    assert "tms-itbs" not in html
    assert in_use_cell(html, "ect-acute") == "True"
    assert in_use_cell(html, "ect-continuation") == "False"


def test_used_version_spec_is_read_only(library, superuser, scheduler, patient, site):
    used = Protocol.objects.get(slug="ect-acute")
    Course.objects.create(
        patient=patient,
        protocol=used,
        site=site,
        modality="ect",
        start_date=dt.date(2026, 1, 12),
        preferred_time=dt.time(9, 0),
        booked_by=scheduler,
    )
    client = staff_client(superuser, *ALL_PERMS)

    page = client.get(f"{CHANGELIST}{used.pk}/change/").content.decode()

    assert 'name="spec"' not in page
    assert "<pre>" in page and "recovery_bay" in page
    assert 'name="status"' in page


def test_unused_version_spec_is_editable(library, superuser):
    unused = Protocol.objects.get(slug="tms-itbs")

    page = staff_client(superuser, *ALL_PERMS).get(f"{CHANGELIST}{unused.pk}/change/")

    assert 'name="spec"' in page.content.decode()


def test_adding_through_the_admin_numbers_the_version(library, superuser):
    client = staff_client(superuser, *ALL_PERMS)

    response = client.post(
        f"{CHANGELIST}add/",
        {
            "slug": "tms-itbs",
            "name": "iTBS (clinic)",
            "indication": "MDD",
            "status": "draft",
            "spec": json.dumps(SPEC),
        },
    )

    assert response.status_code == 302
    new = Protocol.objects.get(slug="tms-itbs", version=2)
    assert (new.modality, new.created_by, new.builtin) == ("tms", superuser, False)


def test_admin_form_shows_spec_errors_by_path(library, clinician):
    bad = {**SPEC, "phases": [{"name": "acute", "sessions": 0, "sessions_per_week": 5}]}

    response = staff_client(clinician, *ALL_PERMS).post(
        f"{CHANGELIST}add/",
        {
            "slug": "x-tms",
            "name": "X",
            "indication": "",
            "status": "draft",
            "spec": json.dumps(bad),
        },
    )

    assert response.status_code == 200
    assert "phases[0].sessions: must be at least 1" in response.content.decode()
    assert not Protocol.objects.filter(slug="x-tms").exists()


def test_nurse_with_model_permissions_still_cannot_add(library, nurse):
    response = staff_client(nurse, *ALL_PERMS).get(f"{CHANGELIST}add/")
    assert response.status_code == 403


def test_retire_action(library, superuser):
    client = staff_client(superuser, *ALL_PERMS)
    target = Protocol.objects.get(slug="tms-itbs")

    client.post(CHANGELIST, {"action": "retire_versions", "_selected_action": [target.pk]})

    target.refresh_from_db()
    assert target.status == Protocol.Status.RETIRED and target.retired_at is not None


def test_validate_action_reports_valid_specs(library, admin_user):
    client = staff_client(admin_user, *ALL_PERMS)
    ids = list(Protocol.objects.values_list("pk", flat=True))

    response = client.post(
        CHANGELIST, {"action": "validate_specs", "_selected_action": ids}, follow=True
    )

    assert f"{len(ids)} spec(s) valid." in response.content.decode()
