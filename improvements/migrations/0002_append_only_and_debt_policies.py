from django.db import migrations

from servicedesk.db import append_only, refuse_truncate

# The default: three bypasses of a gate within 90 days for the same service, team or
# beneficiary are process debt.
DIMENSIONS = ["service", "team", "beneficiary"]


def seed_policies(apps, schema_editor):
    DebtPolicy = apps.get_model("improvements", "DebtPolicy")
    for dimension in DIMENSIONS:
        DebtPolicy.objects.get_or_create(
            gate_id="*", dimension=dimension, defaults={"threshold": 3, "window_days": 90}
        )


def unseed_policies(apps, schema_editor):
    apps.get_model("improvements", "DebtPolicy").objects.filter(gate_id="*").delete()


class Migration(migrations.Migration):
    dependencies = [("improvements", "0001_initial")]

    operations = [
        append_only("improvements_improvementevent"),
        refuse_truncate("improvements_improvementevent"),
        migrations.RunPython(seed_policies, unseed_policies),
    ]
