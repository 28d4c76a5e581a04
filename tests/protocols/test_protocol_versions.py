"""Protocol versioning services: numbering, validation, roles, immutability of used versions."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from clinic.errors import Conflict, Forbidden, InvalidInput
from protocols.models import Protocol
from protocols.services import (
    protocol_activate,
    protocol_create_version,
    protocol_retire,
    protocol_retire_slug,
    protocol_update,
)
from scheduling.models import Course
from tests.support.factories import make_course

NOW = dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)  # the New York spring-forward morning

SPEC: dict[str, Any] = {
    "modality": "tms",
    "phases": [{"name": "acute", "sessions": 20, "sessions_per_week": 5}],
    "timing": {"procedure_minutes": 40, "procedure_holds": ["tms_chair"]},
    "sources": [
        {"citation": "Perera 2016", "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC5612370"}
    ],
}


def spec_with(**phase_changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["phases"][0].update(phase_changes)
    return spec


def create(by, slug="clinic-tms", spec=None, status="draft") -> Protocol:
    return protocol_create_version(
        slug=slug,
        name="Clinic TMS",
        indication="MDD",
        spec=spec or SPEC,
        status=status,
        by=by,
        now=NOW,
    )


def test_first_version_is_1_and_the_next_is_max_plus_1(clinician):
    first = create(clinician)
    second = create(clinician, spec=spec_with(sessions=30))

    assert (first.version, second.version) == (1, 2)
    assert second.modality == "tms"
    assert second.created_by == clinician
    assert first.spec == SPEC, "creating a version never touches the earlier one"


def test_admin_may_create_versions(admin_user):
    assert create(admin_user).version == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["nurse", "scheduler"])
def test_only_admins_and_clinicians_create_versions(persona, request):
    user = request.getfixturevalue(persona)

    with pytest.raises(Forbidden) as raised:
        create(user)

    assert raised.value.code == "role_forbidden"
    assert not Protocol.objects.exists()


def test_invalid_spec_is_rejected_with_the_path(clinician):
    with pytest.raises(InvalidInput) as raised:
        create(clinician, spec=spec_with(sessions_per_day=0))

    assert raised.value.code == "invalid_spec"
    assert "phases[0].sessions_per_day: must be at least 1" in raised.value.message
    assert not Protocol.objects.exists()


def test_a_version_cannot_change_the_modality(clinician):
    create(clinician)
    ect = {
        **SPEC,
        "modality": "ect",
        "timing": {"procedure_minutes": 20, "procedure_holds": ["ect_suite"]},
    }

    with pytest.raises(InvalidInput) as raised:
        create(clinician, spec=ect)

    assert raised.value.code == "modality_changed"
    assert Protocol.objects.count() == 1


def test_unused_draft_is_edited_in_place(clinician):
    draft = create(clinician)

    updated = protocol_update(protocol=draft, by=clinician, spec=spec_with(sessions=25), now=NOW)

    assert updated.pk == draft.pk and updated.version == 1
    assert Protocol.objects.get(pk=draft.pk).spec["phases"][0]["sessions"] == 25


def test_changing_a_used_version_creates_the_next_version(clinician, scheduler, patient, site):
    used = create(clinician, status="active")
    make_course(patient=patient, booked_by=scheduler, protocol=used, status=Course.Status.PLANNED)

    result = protocol_update(protocol=used, by=clinician, spec=spec_with(sessions=25), now=NOW)

    assert result.pk != used.pk and result.version == 2
    assert result.spec["phases"][0]["sessions"] == 25
    assert result.status == Protocol.Status.ACTIVE
    used.refresh_from_db()
    assert used.spec == SPEC


def test_renaming_a_used_version_also_creates_the_next_version(clinician, scheduler, patient, site):
    used = create(clinician, status="active")
    make_course(patient=patient, booked_by=scheduler, protocol=used, status=Course.Status.PLANNED)

    result = protocol_update(protocol=used, by=clinician, name="Renamed", now=NOW)

    assert result.version == 2 and result.name == "Renamed"
    assert Protocol.objects.get(pk=used.pk).name == "Clinic TMS"


def test_an_unchanged_spec_makes_no_new_version(clinician, scheduler, patient, site):
    used = create(clinician, status="active")
    make_course(patient=patient, booked_by=scheduler, protocol=used, status=Course.Status.PLANNED)

    result = protocol_update(protocol=used, by=clinician, spec=copy.deepcopy(SPEC), now=NOW)

    assert result.pk == used.pk
    assert Protocol.objects.count() == 1


def test_retiring_a_used_version_changes_its_status_only(clinician, scheduler, patient, site):
    used = create(clinician, status="active")
    make_course(patient=patient, booked_by=scheduler, protocol=used, status=Course.Status.PLANNED)

    retired = protocol_retire(protocol=used, by=clinician, now=NOW)

    assert retired.pk == used.pk
    assert (retired.status, retired.retired_at) == (Protocol.Status.RETIRED, NOW)
    assert Protocol.objects.count() == 1


def test_activate_clears_retirement(clinician):
    version = create(clinician)
    protocol_retire(protocol=version, by=clinician, now=NOW)

    active = protocol_activate(protocol=version, by=clinician)

    assert (active.status, active.retired_at) == (Protocol.Status.ACTIVE, None)


def test_nurse_cannot_retire(clinician, nurse):
    version = create(clinician, status="active")

    with pytest.raises(Forbidden):
        protocol_retire(protocol=version, by=nurse, now=NOW)

    version.refresh_from_db()
    assert version.status == Protocol.Status.ACTIVE


def test_retire_slug_retires_every_version_not_yet_retired(clinician):
    create(clinician, status="active")
    create(clinician, spec=spec_with(sessions=30), status="active")

    retired = protocol_retire_slug(slug="clinic-tms", by=clinician, now=NOW)

    assert [r.version for r in retired] == [1, 2]
    assert set(Protocol.objects.values_list("status", flat=True)) == {"retired"}


def test_status_must_be_known(clinician):
    with pytest.raises(InvalidInput) as raised:
        create(clinician, status="archived")
    assert raised.value.code == "invalid_status"


@pytest.mark.postgres
# serialized_rollback: the flush after a transactional test would drop the role groups that
# the clinic data migration made, and later tests need them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_new_versions_of_one_slug_get_distinct_numbers(clinician):
    """The select_for_update on the slug's rows serialises version numbering: 8 editors saving
    at once get 8 distinct consecutive versions, none a 409 or a duplicate."""
    create(clinician)
    editors = 8
    barrier = threading.Barrier(editors)
    results: list[int] = []
    errors: list[Exception] = []

    def save(i: int) -> None:
        try:
            barrier.wait()
            row = create(clinician, spec=spec_with(sessions=10 + i))
            results.append(row.version)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(results) == list(range(2, 2 + editors))


@pytest.mark.postgres
# serialized_rollback: the flush after a transactional test would drop the role groups that
# the clinic data migration made, and later tests need them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_first_versions_of_a_new_slug_never_duplicate(clinician):
    """With no rows to lock, the unique (slug, version) constraint decides: one editor gets
    version 1; the others either get 409 protocol_version_conflict or a later version."""
    editors = 6
    barrier = threading.Barrier(editors)
    outcomes: list[object] = []

    def save() -> None:
        try:
            barrier.wait()
            outcomes.append(create(clinician, slug="brand-new").version)
        except Conflict as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # anything else is a failure, asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    versions = [o for o in outcomes if isinstance(o, int)]
    assert len(outcomes) == editors
    assert all(isinstance(o, int) or o == "protocol_version_conflict" for o in outcomes)
    assert 1 in versions and len(versions) == len(set(versions))
    assert Protocol.objects.filter(slug="brand-new").count() == len(versions)
