"""Migration clinic/0005 puts the MRN's case-insensitive uniqueness per site into the
database. Over a database that already holds two patients whose MRNs differ only in case, it
refuses to run and names them, so that they are merged first; without duplicates it applies,
and from then on the database itself refuses a second `dup-1` beside `DUP-1`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from clinic.models import Patient

# serialized_rollback like every transactional test here: mixing the two kinds in one run
# reloads content types over recreated ones.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("clinic", "0004_merge_0003_form_submission_0003_site_feed_settings")
AFTER = ("clinic", "0005_patient_mrn_case_insensitive_unique")


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def old_patients(state: tuple[str, str] = BEFORE):
    """The Patient model as it was at `state`: the current model has columns a later
    migration adds, which the rolled-back table does not have yet."""
    return (
        MigrationExecutor(connection)
        .loader.project_state(state)
        .apps.get_model("clinic", "Patient")
    )


def add_old_patient(site_id: int, mrn: str) -> None:
    old_patients().objects.create(
        site_id=site_id,
        mrn=mrn,
        given_name="Dee",
        family_name="Upton",
        date_of_birth=dt.date(1970, 1, 1),
    )


def test_migration_refuses_to_run_over_case_duplicates_and_names_them(site):
    migrate(BEFORE)
    try:
        add_old_patient(site.pk, "DUP-1")
        add_old_patient(site.pk, "dup-1")
        with pytest.raises(RuntimeError) as refused:
            migrate(AFTER)
        message = str(refused.value)
        assert "DUP-1" in message and "dup-1" in message
        assert "merge" in message.lower()
        # Nothing applied: the old constraint still lets both exist.
        assert old_patients().objects.filter(mrn__iexact="dup-1").count() == 2
    finally:
        old_patients().objects.filter(mrn__iexact="dup-1").delete()
        latest()


def test_after_the_migration_the_database_refuses_a_second_mrn_in_another_case(site):
    migrate(BEFORE)
    try:
        add_old_patient(site.pk, "DUP-1")
        migrate(AFTER)
    finally:
        latest()
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            site=site,
            mrn="dup-1",
            given_name="A",
            family_name="B",
            date_of_birth=dt.date(1970, 1, 1),
        )
