from django.db import migrations

from ai.defaults import seed_prices


def seed(apps, schema_editor):
    seed_prices(apps.get_model("ai", "ModelPrice"))


class Migration(migrations.Migration):
    dependencies = [("ai", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
