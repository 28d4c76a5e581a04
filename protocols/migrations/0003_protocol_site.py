"""Protocols belong to a site (issue 16). Built-ins (loaded from protocols/library) have none.

An existing local protocol goes to its creator's site when the creator belongs to exactly one;
otherwise it stays site-less (read-only to all but superusers, like a built-in), and the
migration prints it so an admin can assign it (Django admin, "site").
"""

from django.db import migrations, models


def assign_sites(apps, schema_editor):
    Protocol = apps.get_model("protocols", "Protocol")
    User = apps.get_model("auth", "User")
    left = []
    for slug in Protocol.objects.filter(builtin=False).values_list("slug", flat=True).distinct():
        creators = set(
            Protocol.objects.filter(slug=slug, created_by__isnull=False).values_list(
                "created_by", flat=True
            )
        )
        sites = set()
        for user in User.objects.filter(pk__in=creators):
            sites.update(user.sites.values_list("id", flat=True))
        if len(sites) == 1:
            Protocol.objects.filter(slug=slug).update(site_id=sites.pop())
        else:
            left.append(slug)
    if left:
        print(f"\n  protocols without an owning site (assign in the admin): {', '.join(left)}")


class Migration(migrations.Migration):
    dependencies = [
        ("protocols", "0002_protocol_first_used_at"),
        ("clinic", "0004_merge_0003_form_submission_0003_site_feed_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="protocol",
            name="site",
            field=models.ForeignKey(
                blank=True,
                help_text="The owning site; empty for built-ins.",
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="protocols",
                to="clinic.site",
            ),
        ),
        migrations.RunPython(assign_sites, migrations.RunPython.noop),
    ]
