from django.db import migrations
from django.utils import timezone

from servicedesk.db import append_only, refuse_truncate

GROUPS = ["Process owners", "Change authority", "Managers"]
# gate, risk class, rule, max hours, max uses
POLICIES = [
    ("*", "low", {"group": "@owner", "required": 1}, 72, 5),
    (
        "*",
        "medium",
        {"any": [{"group": "@owner", "required": 1}, {"group": "Managers", "required": 1}]},
        48,
        3,
    ),
    (
        "*",
        "high",
        {"all": [{"group": "@owner", "required": 1}, {"group": "Managers", "required": 1}]},
        24,
        1,
    ),
    (
        "*",
        "critical",
        {"all": [{"group": "@owner", "required": 2}, {"group": "Process owners", "required": 1}]},
        8,
        1,
    ),
    # Substituting the change authority: one manager, outside the line for high risk.
    ("change.normal.cab_authorization", "*", {"group": "Managers", "required": 1}, 24, 1),
]


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    BypassPolicy = apps.get_model("bypass", "BypassPolicy")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    now = timezone.now()
    for gate_id, risk_class, rule, hours, uses in POLICIES:
        BypassPolicy.objects.get_or_create(
            gate_id=gate_id,
            risk_class=risk_class,
            version=1,
            defaults={
                "rule": rule,
                "fallback_group": "Process owners",
                "max_duration_hours": hours,
                "max_uses": uses,
                "created_at": now,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("bypass", "BypassPolicy").objects.filter(version=1, created_by=None).delete()


class Migration(migrations.Migration):
    dependencies = [("bypass", "0001_initial"), ("org", "0002_role_groups")]

    operations = [
        append_only("bypass_bypassevent"),
        append_only("bypass_bypassdecision"),
        append_only("bypass_bypassuse"),
        refuse_truncate("bypass_bypassevent"),
        refuse_truncate("bypass_bypassdecision"),
        refuse_truncate("bypass_bypassuse"),
        migrations.RunPython(seed, unseed),
    ]
