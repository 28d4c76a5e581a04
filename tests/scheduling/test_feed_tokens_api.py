"""Feed token management through /api/v1/feeds: role and site scoping, shown once, stored
hashed, rotate and revoke, strict input and one error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic.tokens import hash_token
from scheduling.models import CalendarFeed
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db


def create(client, **body):
    return client.post("feeds", body)


def test_scheduler_creates_patient_feed_token_shown_once_stored_hashed(api_as, scheduler, patient):
    response = create(api_as(scheduler), kind="patient", patient_id=patient.pk)
    assert response.status_code == 201, response.content
    data = response.json()
    token = data["token"]
    assert token.startswith("icf_") and len(token) == 47  # 32 random bytes
    assert data["url"].endswith(f"/calendar/{token}.ics")
    assert data["webcal_url"].startswith("webcal://")
    assert data["page_url"].endswith(f"/p/{token}/")
    row = CalendarFeed.objects.get(pk=data["feed"]["id"])
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.created_by == scheduler
    listed = api_as(scheduler).get("feeds").json()
    assert [f["id"] for f in listed] == [row.pk]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert Client().get(data["url"].split("testserver")[1]).status_code == 200


def test_second_patient_feed_is_a_conflict(api_as, scheduler, patient):
    assert create(api_as(scheduler), kind="patient", patient_id=patient.pk).status_code == 201
    again = create(api_as(scheduler), kind="patient", patient_id=patient.pk)
    assert again.status_code == 409
    assert again.json()["code"] == "feed_exists"


def test_nurse_cannot_manage_patient_feeds(api_as, nurse, patient):
    response = create(api_as(nurse), kind="patient", patient_id=patient.pk)
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message"}


def test_other_sites_patient_is_404(api_as, outsider, patient):
    response = create(api_as(outsider), kind="patient", patient_id=patient.pk)
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


def test_other_sites_feeds_are_invisible_and_untouchable(api_as, scheduler, outsider, patient):
    feed_id = create(api_as(scheduler), kind="patient", patient_id=patient.pk).json()["feed"]["id"]
    olga = api_as(outsider)
    assert olga.get("feeds").json() == []
    for action in ("rotate", "revoke"):
        response = olga.post(f"feeds/{feed_id}/{action}")
        assert response.status_code == 404
        assert response.json()["code"] == "feed_not_found"
    assert CalendarFeed.objects.get(pk=feed_id).revoked_at is None


def test_staff_manage_only_their_own_staff_feed(api_as, site, nurse, clinician):
    created = create(api_as(nurse), kind="staff", site_id=site.pk)
    assert created.status_code == 201, created.content
    feed_id = created.json()["feed"]["id"]
    assert created.json()["feed"]["staff_id"] == nurse.pk
    carl = api_as(clinician)
    assert carl.get("feeds").json() == []
    assert carl.post(f"feeds/{feed_id}/revoke").status_code == 404
    other = create(carl, kind="staff", site_id=site.pk, staff_id=nurse.pk)
    assert other.status_code == 403


def test_admin_sees_every_feed_of_their_site(api_as, site, nurse, admin_user, scheduler, patient):
    create(api_as(nurse), kind="staff", site_id=site.pk)
    create(api_as(scheduler), kind="patient", patient_id=patient.pk)
    kinds = sorted(f["kind"] for f in api_as(admin_user).get("feeds").json())
    assert kinds == ["patient", "staff"]


def test_rotate_kills_the_old_token_and_returns_a_new_one(api_as, scheduler, patient):
    client = api_as(scheduler)
    first = create(client, kind="patient", patient_id=patient.pk).json()
    rotated = client.post(f"feeds/{first['feed']['id']}/rotate")
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["token"] != first["token"]
    assert new["feed"]["id"] == first["feed"]["id"]
    assert new["feed"]["rotated_at"] is not None
    assert Client().get(f"/calendar/{first['token']}.ics").status_code == 404
    assert Client().get(f"/calendar/{new['token']}.ics").status_code == 200


def test_revoke_is_idempotent_and_revoked_cannot_rotate(api_as, scheduler, patient):
    client = api_as(scheduler)
    first = create(client, kind="patient", patient_id=patient.pk).json()
    feed_id = first["feed"]["id"]
    for _ in range(2):
        response = client.post(f"feeds/{feed_id}/revoke")
        assert response.status_code == 200
        assert response.json()["active"] is False
    assert Client().get(f"/calendar/{first['token']}.ics").status_code == 404
    response = client.post(f"feeds/{feed_id}/rotate")
    assert response.status_code == 409
    assert response.json()["code"] == "feed_revoked"
    assert [f["id"] for f in client.get("feeds", active="false").json()] == [feed_id]
    assert client.get("feeds", active="true").json() == []


def test_room_and_site_feeds_by_site_staff(api_as, site, nurse, other_site):
    resource = site.resources.first()
    client = api_as(nurse)
    assert create(client, kind="resource", resource_id=resource.pk).status_code == 201
    assert create(client, kind="site", site_id=site.pk).status_code == 201
    foreign = other_site.resources.first()
    assert create(client, kind="resource", resource_id=foreign.pk).status_code == 404
    assert create(client, kind="site", site_id=other_site.pk).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "patient"},
        {"kind": "planet", "site_id": 1},
        {"kind": "site", "site_id": 1, "surprise": True},
        {"kind": "companion", "patient_id": 1, "alarm_minutes": -5},
        {"kind": "companion", "patient_id": 1, "label": "x" * 101},
    ],
)
def test_bad_input_is_422_and_writes_nothing(api_as, scheduler, patient, site, body):
    body = {k: (patient.pk if k == "patient_id" else v) for k, v in body.items()}
    response = create(api_as(scheduler), **body)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message"}
    assert CalendarFeed.objects.count() == 0


def test_anonymous_is_401(api_as, patient):
    assert create(api_as(None), kind="patient", patient_id=patient.pk).status_code == 401


def test_user_without_role_manages_nothing(api_as, site, patient):
    nobody = make_user("noah", None, site)
    assert create(api_as(nobody), kind="site", site_id=site.pk).status_code == 403
    assert api_as(nobody).get("feeds").json() == []
