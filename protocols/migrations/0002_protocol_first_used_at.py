from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("protocols", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="protocol",
            name="first_used_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
