"""No double booking, enforced by PostgreSQL itself.

A resource is never held twice at overlapping times, and a patient never has two overlapping
active sessions: exclusion constraints over time ranges (btree_gist lets `=` on an integer sit
beside `&&` on a range in one GiST index). Ranges are half-open '[)', so back-to-back holds
(esketamine: dose 09:00-09:15, observation 09:15-11:15 on the same chair) do not conflict.

SQLite has no exclusion constraints: there the booking service checks inside a transaction
that holds the write lock from BEGIN (settings: transaction_mode IMMEDIATE). Both operations
are no-ops on other databases.

DEFERRABLE (but immediate by default): a reschedule that pushes a chain of sessions updates
them in one statement, and mid-statement one session may briefly sit where the next one still
is; the service defers the check to the end of its write (SET CONSTRAINTS ... IMMEDIATE),
where the final state must be clean.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINTS = [
    (
        "scheduling_resourcehold",
        "hold_no_overlap_per_resource",
        'resource_id WITH =, tstzrange("start", "end", \'[)\') WITH &&',
    ),
    (
        "scheduling_session",
        "session_no_overlap_per_patient",
        'patient_id WITH =, tstzrange("start", "observation_end", \'[)\') WITH &&',
    ),
]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, spec in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} "
            f"EXCLUDE USING gist ({spec}) WHERE (active) DEFERRABLE INITIALLY IMMEDIATE"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _spec in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0001_initial"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, drop_constraints),
    ]
