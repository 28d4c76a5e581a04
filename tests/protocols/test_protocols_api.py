"""/api/v1/protocols: list, read, versions, create, retire, validate, preview."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from clinic.models import Closure
from protocols.models import Protocol
from scheduling.models import Course

MONDAY = dt.date(2026, 1, 12)  # Martin Luther King Jr. Day, Mon 2026-01-19, is in week 2
MLK_DAY = dt.date(2026, 1, 19)
# The preview refuses a start before the site's today: preview as of the Friday before MONDAY.
PREVIEW_NOW = dt.datetime(2026, 1, 9, 15, 0, tzinfo=dt.UTC)

SPEC: dict[str, Any] = {
    "modality": "tms",
    "phases": [{"name": "acute", "sessions": 20, "sessions_per_week": 5}],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
}


@pytest.fixture
def library(db) -> None:
    call_command("load_protocols", stdout=io.StringIO())


def row_counts() -> dict[str, int]:
    """Rows in every table of every installed model (protocols, courses, sessions, holds...)."""
    tables = set(connection.introspection.table_names())
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.db_table in tables
    }


def new_protocol(**changes) -> dict:
    body = {"slug": "clinic-tms", "name": "Clinic TMS", "indication": "MDD", "spec": SPEC}
    body.update(changes)
    return body


# --- Authentication and reading ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "protocols"),
        ("get", "protocols/tms-itbs"),
        ("get", "protocols/tms-itbs/versions"),
        ("post", "protocols"),
        ("post", "protocols/tms-itbs/retire"),
        ("post", "protocols/tms-itbs/validate"),
        ("post", "protocols/tms-itbs/preview"),
    ],
)
def test_every_endpoint_needs_authentication(api_as, library, method, path):
    response = getattr(api_as(None), method)(path)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_user_without_a_staff_role_may_not_read_protocols(api_as, library, site):
    nobody = User.objects.create_user(username="visitor", password="x-correct-horse-9")
    site.staff.add(nobody)
    client = api_as(nobody)

    for response in (
        client.get("protocols"),
        client.get("protocols/tms-itbs"),
        client.post(
            "protocols/tms-itbs/preview",
            {"site_id": site.pk, "start_date": "2026-01-12", "preferred_time": "09:00"},
        ),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "role_forbidden"


def test_list_gives_the_latest_version_of_each_protocol(api_as, library, nurse, superuser):
    api_as(superuser).post("protocols", new_protocol(slug="tms-itbs", spec=SPEC, status="active"))

    response = api_as(nurse).get("protocols")

    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == Protocol.objects.values("slug").distinct().count()
    itbs = next(r for r in rows if r["slug"] == "tms-itbs")
    assert itbs["version"] == 2
    assert itbs["total_sessions"] == 20
    assert "spec" not in itbs


def test_list_and_read_flag_versions_in_use(api_as, library, scheduler, patient, site):
    used = Protocol.objects.get(slug="ect-acute")
    Course.objects.create(
        patient=patient,
        protocol=used,
        site=site,
        modality="ect",
        start_date=MONDAY,
        preferred_time=dt.time(9, 0),
        booked_by=scheduler,
    )
    client = api_as(scheduler)

    rows = {r["slug"]: r["in_use"] for r in client.get("protocols").json()}

    assert rows["ect-acute"] is True and rows["ect-continuation"] is False
    assert client.get("protocols/ect-acute").json()["in_use"] is True


def test_list_filters_by_modality_and_status_and_lists_all_versions(api_as, library, superuser):
    client = api_as(superuser)
    client.post("protocols", new_protocol(slug="tms-itbs", spec=SPEC))

    ect = client.get("protocols", modality="ect").json()
    drafts = client.get("protocols", status="draft").json()
    every = client.get("protocols", all_versions="true").json()

    assert {r["slug"] for r in ect} == {"ect-acute", "ect-continuation"}
    assert [(r["slug"], r["version"]) for r in drafts] == [("tms-itbs", 2)]
    assert [r["version"] for r in every if r["slug"] == "tms-itbs"] == [2, 1]
    active = client.get("protocols", status="active").json()
    assert next(r for r in active if r["slug"] == "tms-itbs")["version"] == 1


def test_unknown_modality_filter_is_422(api_as, library, nurse):
    response = api_as(nurse).get("protocols", modality="yoga")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_read_gives_the_latest_active_version_or_the_one_asked_for(api_as, library, superuser):
    client = api_as(superuser)
    client.post("protocols", new_protocol(slug="tms-itbs", spec=SPEC))  # v2, a draft

    latest_active = client.get("protocols/tms-itbs").json()
    draft = client.get("protocols/tms-itbs", version=2).json()

    assert latest_active["version"] == 1
    assert latest_active["spec"]["timing"]["procedure_minutes"] == 15
    assert latest_active["builtin"] is True and latest_active["in_use"] is False
    assert (draft["version"], draft["status"]) == (2, "draft")


def test_unknown_slug_or_version_is_404(api_as, library, nurse):
    client = api_as(nurse)
    for path, params in (("protocols/no-such", {}), ("protocols/tms-itbs", {"version": 9})):
        response = client.get(path, **params)
        assert response.status_code == 404
        assert response.json()["code"] == "protocol_not_found"
    assert client.get("protocols/no-such/versions").status_code == 404


def test_versions_lists_every_version_newest_first(api_as, library, superuser):
    client = api_as(superuser)
    client.post("protocols", new_protocol(slug="tms-itbs", spec=SPEC))

    rows = client.get("protocols/tms-itbs/versions").json()

    assert [(r["version"], r["status"]) for r in rows] == [(2, "draft"), (1, "active")]


# --- Creating, retiring, validating --------------------------------------------------------


def test_clinician_creates_a_protocol_and_its_next_version(api_as, db, clinician):
    client = api_as(clinician)

    first = client.post("protocols", new_protocol())
    second = client.post("protocols", new_protocol(name="Clinic TMS (30)", status="active"))

    assert first.status_code == 201 and second.status_code == 201
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert second.json()["status"] == "active"
    assert second.json()["modality"] == "tms"
    assert Protocol.objects.get(slug="clinic-tms", version=2).created_by == clinician


def test_nurse_cannot_create_a_version(api_as, library, nurse):
    before = Protocol.objects.count()

    response = api_as(nurse).post("protocols", new_protocol())

    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"
    assert Protocol.objects.count() == before


def test_invalid_spec_is_422_naming_the_path(api_as, db, clinician):
    spec = copy.deepcopy(SPEC)
    spec["phases"].append({"name": "taper", "sessions": 3, "sessions_per_week": 3})
    spec["phases"][1]["sessions_per_day"] = 0

    response = api_as(clinician).post("protocols", new_protocol(spec=spec))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_spec"
    assert "phases[1].sessions_per_day: must be at least 1" in body["message"]
    assert not Protocol.objects.exists()


def test_bad_slug_is_422_not_500(api_as, db, clinician):
    response = api_as(clinician).post("protocols", new_protocol(slug="Not A Slug"))
    assert response.status_code == 422
    assert "slug" in response.json()["message"]


def test_admin_retires_one_version_or_the_whole_protocol(api_as, library, superuser, nurse):
    client = api_as(superuser)
    client.post("protocols", new_protocol(slug="tms-itbs", spec=SPEC, status="active"))

    one = client.post("protocols/tms-itbs/retire", {"version": 2})
    assert one.status_code == 200 and one.json()["retired_versions"] == [2]
    assert client.get("protocols/tms-itbs").json()["version"] == 1

    assert (
        api_as(nurse).post("protocols/tms-itbs/retire", {"all_versions": True}).status_code == 403
    )
    everything = client.post("protocols/tms-itbs/retire", {"all_versions": True})
    assert everything.json()["retired_versions"] == [1]
    gone = client.get("protocols/tms-itbs")
    assert gone.status_code == 404 and "no active version" in gone.json()["message"]


def test_activate_makes_a_draft_the_latest_active(api_as, library, superuser):
    client = api_as(superuser)
    client.post("protocols", new_protocol(slug="tms-itbs", spec=SPEC))

    response = client.post("protocols/tms-itbs/activate", {"version": 2})

    assert response.status_code == 200 and response.json()["status"] == "active"
    assert client.get("protocols/tms-itbs").json()["version"] == 2


def test_validate_summarises_a_valid_spec_and_saves_nothing(api_as, library, nurse):
    client = api_as(nurse)
    before = row_counts()

    response = client.post("protocols/clinic-tms/validate", {"spec": SPEC})

    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True and body["total_sessions"] == 20
    assert body["phases"][0]["min_days_between"] == 1
    assert body["resource_kinds"] == ["tms_chair"]
    assert row_counts() == before


def test_validate_rejects_an_invalid_spec_with_the_path(api_as, library, nurse):
    spec = copy.deepcopy(SPEC)
    spec["timing"]["procedure_minutes"] = 0

    response = api_as(nurse).post("protocols/clinic-tms/validate", {"spec": spec})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_spec"
    assert "timing.procedure_minutes: must be at least 1" in response.json()["message"]


def test_validate_refuses_a_modality_change_for_an_existing_slug(api_as, library, nurse):
    response = api_as(nurse).post("protocols/ect-acute/validate", {"spec": SPEC})
    assert response.status_code == 422
    assert response.json()["code"] == "modality_changed"


# --- Preview -------------------------------------------------------------------------------


def preview(client, slug, site, start=MONDAY, time="09:00", **extra):
    body = {"site_id": site.pk, "start_date": start.isoformat(), "preferred_time": time}
    body.update(extra)
    with time_machine.travel(PREVIEW_NOW, tick=False):
        return client.post(f"protocols/{slug}/preview", body)


def test_preview_standard_tms_skips_the_holiday_and_weekends(api_as, library, site, scheduler):
    response = preview(api_as(scheduler), "tms-10hz-standard", site)

    assert response.status_code == 200
    body = response.json()
    sessions = body["sessions"]
    assert body["total_sessions"] == len(sessions) == 36
    assert (body["version"], body["timezone"]) == (1, "America/New_York")
    days = [dt.date.fromisoformat(s["date"]) for s in sessions]
    assert MLK_DAY not in days
    assert all(day.weekday() < 5 for day in days)
    first = sessions[0]
    assert first["start_local"] == "2026-01-12T09:00:00-05:00"
    assert dt.datetime.fromisoformat(first["start_utc"]) == dt.datetime(
        2026, 1, 12, 14, 0, tzinfo=dt.UTC
    )
    assert first["end_local"] == "2026-01-12T09:45:00-05:00"
    assert first["scales_due"] == ["phq9", "gad7"]
    assert [s["phase"] for s in sessions[-6:]] == ["taper-3"] * 3 + ["taper-2"] * 2 + ["taper-1"]


def test_preview_writes_nothing(api_as, library, site, scheduler):
    client = api_as(scheduler)
    before = row_counts()

    response = preview(client, "esketamine-trd", site)

    assert response.status_code == 200
    assert row_counts() == before


def test_preview_reports_esketamine_observation_end(api_as, library, site, nurse):
    sessions = preview(api_as(nurse), "esketamine-trd", site).json()["sessions"]

    first = sessions[0]
    end = dt.datetime.fromisoformat(first["end_local"])
    observation_end = dt.datetime.fromisoformat(first["observation_end_local"])
    assert observation_end - end >= dt.timedelta(minutes=120)
    assert sessions[7]["phase"] == "induction" and "madrs" in sessions[7]["scales_due"]


def test_preview_uses_the_sites_closures(api_as, library, site, scheduler):
    Closure.objects.create(site=site, date=dt.date(2026, 1, 14), reason="staff training")

    sessions = preview(api_as(scheduler), "ect-acute", site).json()["sessions"]

    days = {s["date"] for s in sessions}
    assert "2026-01-14" not in days


def test_preview_of_a_given_version(api_as, library, site, superuser):
    client = api_as(superuser)
    client.post("protocols", new_protocol(slug="tms-itbs", spec=SPEC))  # draft v2, 20 sessions

    assert preview(client, "tms-itbs", site).json()["total_sessions"] == 36
    pinned = preview(client, "tms-itbs", site, version=2).json()
    assert (pinned["version"], pinned["total_sessions"]) == (2, 20)


def test_preview_unplannable_is_422_with_rule_and_day(api_as, library, site, scheduler):
    tuesday = MONDAY + dt.timedelta(days=1)

    response = preview(api_as(scheduler), "tms-saint-accelerated", site, start=tuesday)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unplannable"
    assert body["details"]["rule"] == "max_days_between"
    assert body["details"]["phase"] == "accelerated"
    assert dt.date.fromisoformat(body["details"]["day"]) >= tuesday
    assert "accelerated" in body["message"]


def test_preview_on_a_site_the_user_does_not_belong_to_is_404(
    api_as, library, site, other_site, scheduler
):
    response = preview(api_as(scheduler), "tms-itbs", other_site)

    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


def test_preview_on_a_missing_site_is_404(api_as, library, site, admin_user):
    admin_user.is_superuser = True
    admin_user.save()

    response = preview(api_as(admin_user), "tms-itbs", site, site_id=999_999)

    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


@pytest.mark.parametrize(
    ("field", "value"),
    [("start_date", "12/01/2026"), ("preferred_time", "9am"), ("preferred_time", "09:00+02:00")],
)
def test_preview_rejects_malformed_input(api_as, library, site, scheduler, field, value):
    response = preview(api_as(scheduler), "tms-itbs", site, **{field: value})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert field in response.json()["message"]


def test_openapi_documents_the_protocol_endpoints(api_as, db, nurse):
    response = api_as(nurse).get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/protocols",
        "/api/v1/protocols/{slug}",
        "/api/v1/protocols/{slug}/versions",
        "/api/v1/protocols/{slug}/retire",
        "/api/v1/protocols/{slug}/activate",
        "/api/v1/protocols/{slug}/validate",
        "/api/v1/protocols/{slug}/preview",
    ):
        assert path in paths
    preview_responses = paths["/api/v1/protocols/{slug}/preview"]["post"]["responses"]
    assert {"200", "404", "422"} <= set(preview_responses)
