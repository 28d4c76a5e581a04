"""Four registrations of one MRN at once, in different letter cases (`DUP-1`, `dup-1`): the
service checks case-insensitively before it inserts, so without a lock each request sees no
patient and inserts its own. Exactly one patient is registered per trial; the others get 409
`mrn_taken` (never a 500)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from clinic.models import Patient
from clinic.services import patient_create
from tests.concurrency.harness import race, warm

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 4
TRIALS = 8


def test_simultaneous_registrations_of_one_mrn_in_any_case_register_one_patient(site, scheduler):
    warm(scheduler)
    for trial in range(TRIALS):
        mrn = f"DUP-{trial}"

        def register(i: int, mrn: str = mrn, trial: int = trial) -> int:
            return patient_create(
                site=site,
                mrn=mrn if i % 2 == 0 else mrn.lower(),
                given_name="Dee",
                # A name per trial and thread: the same person again would be refused as a
                # likely duplicate (issue 18), which is not what this test races.
                family_name=f"Upton{trial}-{i}",
                date_of_birth=dt.date(1970, 1, 1),
                by=scheduler,
            ).pk

        results = race(THREADS, register)
        assert Counter(r[0] for r in results) == {"ok": 1, 409: THREADS - 1}, (trial, results)
        assert {r[1] for r in results if r[0] == 409} == {"mrn_taken"}
        assert Patient.objects.filter(site=site, mrn__iexact=mrn).count() == 1
