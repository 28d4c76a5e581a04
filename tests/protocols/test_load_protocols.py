"""`manage.py load_protocols`: loads the library as active built-ins, idempotently, and never
edits a version that a course uses."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from protocols.builtin_library import LIBRARY_DIR, library_entries
from protocols.models import Protocol
from protocols.services import protocol_create_version, protocol_update
from scheduling.models import Course
from tests.support.factories import make_course


def load(library: Path | None = None) -> list[str]:
    out = io.StringIO()
    args = ["--library", str(library)] if library else []
    call_command("load_protocols", *args, stdout=out)
    return out.getvalue().splitlines()


def snapshot() -> list[tuple]:
    return list(
        Protocol.objects.order_by("slug", "version").values_list(
            "id", "slug", "version", "status", "builtin", "name", "indication", "spec", "modality"
        )
    )


@pytest.fixture
def library(tmp_path) -> Path:
    """A copy of the real library that a test may edit."""
    target = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, target)
    return target


def edit(library: Path, slug: str, change) -> None:
    path = library / f"{slug}.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.django_db
def test_first_load_creates_every_library_protocol_active_and_builtin():
    lines = load()

    slugs = {e.slug for e in library_entries()}
    rows = Protocol.objects.all()
    assert {p.slug for p in rows} == slugs
    assert all(p.status == Protocol.Status.ACTIVE and p.builtin for p in rows)
    assert all(p.version == 1 for p in rows)
    assert all(p.modality == p.parsed.modality.value for p in rows)
    assert "tms-10hz-standard: created v1" in lines
    assert len([line for line in lines if ": created v1" in line]) == len(slugs)


@pytest.mark.django_db
def test_rerunning_changes_nothing():
    load()
    before = snapshot()

    lines = load()

    assert snapshot() == before
    assert all("unchanged v1" in line for line in lines[:-1])


@pytest.mark.django_db
def test_rerunning_does_not_reactivate_a_version_an_admin_retired():
    load()
    Protocol.objects.filter(slug="tms-itbs").update(status=Protocol.Status.RETIRED)

    load()

    assert Protocol.objects.get(slug="tms-itbs").status == Protocol.Status.RETIRED


@pytest.mark.django_db
def test_changed_file_updates_an_unused_version_in_place(library):
    load(library)
    edit(library, "ect-acute", lambda d: d["spec"]["timing"].update(observation_minutes=50))

    lines = load(library)

    rows = list(Protocol.objects.filter(slug="ect-acute"))
    assert len(rows) == 1
    assert rows[0].spec["timing"]["observation_minutes"] == 50
    assert "ect-acute: updated v1 in place (no course uses it)" in lines


@pytest.mark.django_db
def test_changed_file_adds_the_next_version_when_a_course_uses_the_current_one(
    library, patient, site, scheduler
):
    load(library)
    used = Protocol.objects.get(slug="ect-acute")
    make_course(patient=patient, booked_by=scheduler, protocol=used, status=Course.Status.PLANNED)
    spec_before = used.spec
    edit(library, "ect-acute", lambda d: d["spec"]["timing"].update(observation_minutes=50))

    lines = load(library)

    used.refresh_from_db()
    assert used.spec == spec_before, "a version a course uses is immutable"
    new = Protocol.objects.get(slug="ect-acute", version=2)
    assert new.spec["timing"]["observation_minutes"] == 50
    assert new.builtin and new.status == Protocol.Status.ACTIVE
    assert "ect-acute: created v2 (v1 is used by courses)" in lines
    # ...and once more: the new version is now the one compared against.
    load(library)
    assert Protocol.objects.filter(slug="ect-acute").count() == 2


@pytest.mark.django_db
def test_a_slug_with_a_local_latest_version_is_left_alone(library, superuser):
    load(library)
    base = Protocol.objects.get(slug="tms-itbs")
    local_spec = {**base.spec, "notes": "our clinic books 20 min"}
    protocol_create_version(
        slug="tms-itbs",
        name=base.name,
        indication=base.indication,
        spec=local_spec,
        status="active",
        by=superuser,
    )
    edit(library, "tms-itbs", lambda d: d["spec"].update(notes="library revision"))

    lines = load(library)

    assert Protocol.objects.filter(slug="tms-itbs").count() == 2
    assert Protocol.objects.get(slug="tms-itbs", version=1).spec == base.spec
    assert any(line.startswith("tms-itbs: skipped") for line in lines)


@pytest.mark.django_db
def test_a_bad_library_file_stops_the_load_before_anything_is_written(library):
    edit(library, "tms-itbs", lambda d: d["spec"]["phases"][0].update(sessions_per_day=0))

    with pytest.raises(CommandError) as raised:
        load(library)

    assert "tms-itbs.json" in str(raised.value)
    assert "phases[0].sessions_per_day: must be at least 1" in str(raised.value)
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_a_file_whose_slug_differs_from_its_name_is_rejected(library):
    edit(library, "tms-itbs", lambda d: d.update(slug="itbs"))

    with pytest.raises(CommandError, match="must match the file name"):
        load(library)


@pytest.mark.django_db
def test_a_built_in_version_edited_by_a_clinician_is_not_reverted(library, superuser):
    load(library)
    itbs = Protocol.objects.get(slug="tms-itbs")
    edited = {**itbs.spec, "notes": "our clinic books 20 min"}

    protocol_update(protocol=itbs, by=superuser, spec=edited)
    lines = load(library)

    itbs.refresh_from_db()
    assert (itbs.version, itbs.spec, itbs.builtin) == (1, edited, False)
    assert any(line.startswith("tms-itbs: skipped") for line in lines)
