"""Protocol versions already used by a course get Protocol.first_used_at (protocols no longer
looks at courses to know that a version is in use)."""

from django.db import migrations
from django.db.models import Min


def mark_used(apps, schema_editor):
    Course = apps.get_model("scheduling", "Course")
    Protocol = apps.get_model("protocols", "Protocol")
    firsts = Course.objects.values("protocol_id").annotate(first=Min("created_at"))
    for row in firsts:
        Protocol.objects.filter(pk=row["protocol_id"], first_used_at__isnull=True).update(
            first_used_at=row["first"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_no_double_booking"),
        ("protocols", "0002_protocol_first_used_at"),
    ]

    operations = [migrations.RunPython(mark_used, migrations.RunPython.noop)]
