from django.db import migrations

from billing.defaults import seed_costs


def seed(apps, schema_editor):
    seed_costs(apps.get_model("billing", "CreditCostConfig"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
