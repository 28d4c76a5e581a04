"""PostgreSQL's own log holds no patient data from a failed statement.

By default the server logs the full text of a failed statement (`STATEMENT: INSERT INTO
clinic_patient ... VALUES ('Pat', 'Example', '1980-05-17', ...)`) and, for a unique violation,
the key (`DETAIL: Key (site_id, mrn)=(1, MRN-001) already exists.`). docs/deployment.md's
PostgreSQL settings turn both off, and the throwaway server of `make test`
(scripts/with_postgres.sh) runs with the same settings, checked here.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from clinic.models import Patient

# The settings docs/deployment.md ("PostgreSQL's log") asks for.
DOCUMENTED = {"log_min_error_statement": "panic", "log_error_verbosity": "terse"}


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", [name])
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
def test_the_test_server_runs_with_the_documented_log_settings(db):
    assert {name: _setting(name) for name in DOCUMENTED} == DOCUMENTED
    guide = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    for name, value in DOCUMENTED.items():
        assert f"{name} = {value}" in guide, name


@pytest.mark.postgres
# serialized_rollback: the flush after a transactional test drops the role groups.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_insert_leaves_no_patient_data_in_the_server_log(site, patient):
    # scripts/with_postgres.sh writes the server's log next to its data directory.
    data_dir = Path(_setting("data_directory"))
    log = data_dir.parent / "log"
    assert log.is_file(), f"no server log at {log}"
    before = log.stat().st_size
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            site=site,
            mrn=patient.mrn,  # taken: the unique constraint refuses the INSERT
            given_name="Marguerite",
            family_name="Leakwell",
            date_of_birth=dt.date(1931, 2, 3),
        )
    time.sleep(0.3)  # the server writes its log line asynchronously to our error
    with log.open("rb") as f:
        f.seek(before)
        written = f.read().decode(errors="replace")
    assert "duplicate key value violates unique constraint" in written  # the error is logged
    for secret in ("Marguerite", "Leakwell", "1931-02-03", patient.mrn):
        assert secret not in written, written
