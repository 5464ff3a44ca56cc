from django.db import migrations

from servicedesk.db import append_only

AUTHORITIES = [
    # slug, name, rule, required, emergency, description
    ("peer-review", "Peer review", "any", 1, False, "A colleague who knows the system."),
    ("service-owner", "Service owner", "any", 1, False, "The owners of the affected services."),
    ("cab", "CAB", "n_of_m", 2, False, "The change advisory board: two members must agree."),
    ("ecab", "Emergency CAB", "any", 1, True, "Authorises emergency changes at short notice."),
]
CATEGORIES = ["application", "infrastructure", "network", "database", "security", "access", "other"]
# risk class -> chain of authority slugs
CHAINS = {
    "low": ["peer-review"],
    "medium": ["service-owner"],
    "high": ["cab"],
    "very_high": ["service-owner", "cab"],
}


def seed_defaults(apps, schema_editor):
    ChangeAuthority = apps.get_model("changes", "ChangeAuthority")
    AuthorityRule = apps.get_model("changes", "AuthorityRule")
    by_slug = {}
    for slug, name, rule, required, emergency, description in AUTHORITIES:
        by_slug[slug], _ = ChangeAuthority.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "rule": rule,
                "required": required,
                "is_emergency": emergency,
                "description": description,
            },
        )
    for category in CATEGORIES:
        for risk_class, chain in CHAINS.items():
            if AuthorityRule.objects.filter(category=category, risk_class=risk_class).exists():
                continue
            for position, slug in enumerate(chain, start=1):
                AuthorityRule.objects.create(
                    category=category,
                    risk_class=risk_class,
                    position=position,
                    authority=by_slug[slug],
                )


def remove_defaults(apps, schema_editor):
    # The authorities stay (changes may reference them); unapplying 0001 drops the tables.
    apps.get_model("changes", "AuthorityRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [
        append_only("changes_changeevent"),
        append_only("changes_changedecision"),
        migrations.RunPython(seed_defaults, remove_defaults),
    ]
