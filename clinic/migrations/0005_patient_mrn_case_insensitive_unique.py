"""The MRN is unique per site case-insensitively, in the database (issue 16, point 1).

Before this migration only the exact spelling was unique, so two parallel registrations of
`DUP-1` and `dup-1` could both succeed. A database holding such pairs cannot take the new
constraint: the migration lists them and stops, so that staff merge each pair first (keep one
record, move its courses over in the admin, delete the other) and then run `migrate` again.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_case_duplicates(apps, schema_editor):
    Patient = apps.get_model("clinic", "Patient")
    groups = (
        Patient.objects.using(schema_editor.connection.alias)
        .annotate(mrn_lower=Lower("mrn"))
        .values("site_id", "mrn_lower")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("site_id", "mrn_lower")
    )
    lines = []
    for group in groups:
        rows = Patient.objects.filter(
            site_id=group["site_id"], mrn__iexact=group["mrn_lower"]
        ).order_by("id")
        listed = ", ".join(f"patient {p.id} MRN {p.mrn!r}" for p in rows)
        lines.append(f"  site {group['site_id']}: {listed}")
    if lines:
        raise RuntimeError(
            "clinic.0005: these patients share an MRN that differs only in letter case. Merge "
            "each group into one patient (move courses to the record you keep, then delete the "
            "others) and run migrate again:\n" + "\n".join(lines)
        )


class Migration(migrations.Migration):
    # One transaction on PostgreSQL: a refusal leaves the schema as it was.
    atomic = True

    dependencies = [
        ("clinic", "0004_merge_0003_form_submission_0003_site_feed_settings"),
    ]

    operations = [
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="patient", name="mrn_unique_per_site"),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                Lower("mrn"), "site", name="patient_mrn_ci_unique_per_site"
            ),
        ),
    ]
