from datetime import timedelta

from django.db import migrations

from servicedesk.db import append_only

# impact (rows, 1 = critical) x urgency (columns) -> priority
MATRIX = [
    [1, 1, 2, 3],
    [1, 2, 3, 3],
    [2, 3, 3, 4],
    [3, 3, 4, 4],
]
TARGETS = {1: timedelta(hours=4), 2: timedelta(hours=8), 3: timedelta(days=3), 4: timedelta(days=5)}
CATEGORIES = [
    ("access", "Access & accounts"), ("hardware", "Hardware"), ("network", "Network"),
    ("software", "Software"), ("other", "Other"),
]


def seed_defaults(apps, schema_editor):
    PriorityRule = apps.get_model("incidents", "PriorityRule")
    ResolutionTarget = apps.get_model("incidents", "ResolutionTarget")
    Category = apps.get_model("incidents", "Category")
    for impact, row in enumerate(MATRIX, start=1):
        for urgency, priority in enumerate(row, start=1):
            PriorityRule.objects.get_or_create(
                impact=impact, urgency=urgency, defaults={"priority": priority}
            )
    for priority, within in TARGETS.items():
        ResolutionTarget.objects.get_or_create(priority=priority, defaults={"resolve_within": within})
    for slug, name in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})


def remove_defaults(apps, schema_editor):
    apps.get_model("incidents", "PriorityRule").objects.all().delete()
    apps.get_model("incidents", "ResolutionTarget").objects.all().delete()
    apps.get_model("incidents", "Category").objects.filter(
        slug__in=[slug for slug, _ in CATEGORIES], incidents__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [
        append_only("incidents_incidentevent"),
        append_only("incidents_problemevent"),
        migrations.RunPython(seed_defaults, remove_defaults),
    ]
