"""Protocols belong to a site, or are built-in (issue 16, point 6).

A clinician of Hilltop used to retire a protocol Riverside books and publish one Riverside
lists; a clinician with no site could publish. Now a local protocol is its site's own
(`Protocol.site`), built-ins from protocols/library have none and are read-only to all but
superusers, and publishing, retiring and activating are scoped (`protocols/services.py`
`protocol_editor_require`).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from protocols.models import Protocol
from tests.support.factories import make_user

SPEC: dict[str, Any] = {
    "modality": "tms",
    "phases": [{"name": "acute", "sessions": 20, "sessions_per_week": 5}],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}


@pytest.fixture
def library(db) -> None:
    call_command("load_protocols", stdout=io.StringIO())


@pytest.fixture
def hilltop_clinician(other_site) -> User:
    return make_user("hana", "clinician", other_site)


def body(slug: str = "riverside-tms", **changes: Any) -> dict[str, Any]:
    data = {"slug": slug, "name": "Riverside TMS", "indication": "MDD", "spec": SPEC}
    data["status"] = "active"
    data.update(changes)
    return data


def test_a_published_protocol_belongs_to_the_publishers_site(api_as, clinician, site):
    response = api_as(clinician).post("protocols", body())
    assert response.status_code == 201, response.json()
    assert response.json()["site_id"] == site.pk
    assert Protocol.objects.get(slug="riverside-tms").site_id == site.pk


def test_built_ins_have_no_site(library):
    assert Protocol.objects.filter(builtin=True).exists()
    assert not Protocol.objects.filter(builtin=True, site__isnull=False).exists()


def test_another_sites_clinician_can_neither_see_nor_retire_a_sites_protocol(
    api_as, clinician, hilltop_clinician, outsider
):
    assert api_as(clinician).post("protocols", body()).status_code == 201
    hana = api_as(hilltop_clinician)
    assert "riverside-tms" not in [p["slug"] for p in hana.get("protocols").json()]
    assert hana.get("protocols/riverside-tms").status_code == 404
    refused = hana.post("protocols/riverside-tms/retire", {"all_versions": True})
    assert refused.status_code == 404 and refused.json()["code"] == "protocol_not_found"
    assert hana.post("protocols/riverside-tms/activate", {"version": 1}).status_code == 404
    # A new version of another site's slug is refused too, and does not reveal its content.
    taken = hana.post("protocols", body(name="Hijack"))
    assert taken.status_code == 409 and taken.json()["code"] == "protocol_slug_taken"
    assert Protocol.objects.filter(slug="riverside-tms").count() == 1
    assert Protocol.objects.get(slug="riverside-tms").status == "active"
    # Hilltop's own protocol is not listed at Riverside.
    assert hana.post("protocols", body("hilltop-tms")).status_code == 201
    listed = [p["slug"] for p in api_as(clinician).get("protocols").json()]
    assert "hilltop-tms" not in listed and "riverside-tms" in listed
    # Hilltop's scheduler reads it (and the built-ins), not Riverside's.
    olga = [p["slug"] for p in api_as(outsider).get("protocols").json()]
    assert "hilltop-tms" in olga and "riverside-tms" not in olga


def test_a_clinician_may_not_retire_a_built_in_from_a_site(api_as, library, clinician):
    refused = api_as(clinician).post("protocols/tms-itbs/retire", {"all_versions": True})
    assert refused.status_code == 403 and refused.json()["code"] == "protocol_builtin"
    assert api_as(clinician).post("protocols/tms-itbs/retire", {"version": 1}).status_code == 403
    assert not Protocol.objects.filter(slug="tms-itbs", status="retired").exists()
    # A new version of a built-in from a site is refused the same way.
    spec = Protocol.objects.get(slug="tms-itbs", version=1).spec
    again = api_as(clinician).post("protocols", body("tms-itbs", spec=spec))
    assert again.status_code == 403 and again.json()["code"] == "protocol_builtin"


def test_a_superuser_may_retire_a_built_in(api_as, library, site):
    root = User.objects.create_superuser("root", password="correct-horse-battery-1")
    done = api_as(root).post("protocols/tms-itbs/retire", {"all_versions": True})
    assert done.status_code == 200, done.json()


def test_a_clinician_with_no_site_may_not_publish(api_as, db):
    loner = make_user("lone", "clinician", None)
    refused = api_as(loner).post("protocols", body())
    assert refused.status_code == 403 and refused.json()["code"] == "site_required"
    assert not Protocol.objects.exists()


def test_a_clinician_of_two_sites_names_the_site(api_as, site, other_site):
    both = make_user("bea", "clinician", site)
    other_site.staff.add(both)
    unnamed = api_as(both).post("protocols", body())
    assert unnamed.status_code == 422 and unnamed.json()["code"] == "site_required"
    named = api_as(both).post("protocols", body(site_id=other_site.pk))
    assert named.status_code == 201 and named.json()["site_id"] == other_site.pk


def test_publishing_for_a_site_you_do_not_belong_to_is_not_found(api_as, clinician, other_site):
    refused = api_as(clinician).post("protocols", body(site_id=other_site.pk))
    assert refused.status_code == 404 and refused.json()["code"] == "site_not_found"


def test_a_site_cannot_book_another_sites_protocol(api_as, clinician, hilltop_clinician, patient):
    assert api_as(hilltop_clinician).post("protocols", body("hilltop-tms")).status_code == 201
    booked = api_as(clinician).post(
        "courses",
        {
            "patient_id": patient.pk,
            "protocol": "hilltop-tms",
            "site_id": patient.site_id,
            "start_date": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
            "preferred_time": "09:00",
        },
    )
    assert booked.status_code == 404 and booked.json()["code"] == "protocol_not_found"


def test_the_admin_lists_and_changes_only_a_sites_own_protocols(
    api_as, library, clinician, hilltop_clinician
):
    from django.contrib.auth.models import Permission
    from django.test import Client

    assert api_as(hilltop_clinician).post("protocols", body("hilltop-tms")).status_code == 201
    clinician.is_staff = True
    clinician.save()
    clinician.user_permissions.add(*Permission.objects.filter(content_type__app_label="protocols"))
    client = Client()
    client.force_login(clinician)
    listing = client.get("/admin/protocols/protocol/").content.decode()
    assert "tms-itbs" in listing and "hilltop-tms" not in listing
    hilltop = Protocol.objects.get(slug="hilltop-tms")
    assert client.get(f"/admin/protocols/protocol/{hilltop.pk}/change/").status_code == 302
    builtin = Protocol.objects.get(slug="tms-itbs")
    page = client.get(f"/admin/protocols/protocol/{builtin.pk}/change/").content.decode()
    assert 'name="spec"' not in page  # read-only: only superusers change a built-in
    client.post(
        "/admin/protocols/protocol/",
        {"action": "retire_versions", "_selected_action": [builtin.pk]},
    )
    builtin.refresh_from_db()
    assert builtin.status == "active"
