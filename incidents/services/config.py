"""Process configuration edited by admins: the priority matrix, changed whole as a grid."""

from collections.abc import Mapping

from django.db import transaction

from incidents.choices import Level, Priority
from incidents.models import PriorityRule
from org.choices import Role
from org.models import User
from servicedesk.errors import PermissionDenied, ValidationFailed


def priority_matrix_update(*, actor: User, cells: Mapping[tuple[int, int], int]) -> int:
    """Set every impact x urgency cell at once (all 16, each P1 to P4). Returns how many
    changed. Existing incidents keep their priority until they are triaged again."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied("Only admins change the priority matrix.")
    levels = [level.value for level in Level]
    expected = {(i, u) for i in levels for u in levels}
    missing = sorted(expected - set(cells))
    if missing:
        raise ValidationFailed(
            "The matrix needs every cell; missing: "
            + ", ".join(f"impact {i} with urgency {u}" for i, u in missing)
            + ".",
            code="priority.matrix_incomplete",
        )
    bad = sorted(k for k, p in cells.items() if p not in Priority.values)
    if bad:
        raise ValidationFailed("Each cell is a priority from P1 to P4.")
    changed = 0
    with transaction.atomic():
        rules = {(r.impact, r.urgency): r for r in PriorityRule.objects.select_for_update().all()}
        for key in sorted(expected):
            rule = rules.get(key)
            if rule is None:
                PriorityRule.objects.create(impact=key[0], urgency=key[1], priority=cells[key])
                changed += 1
            elif rule.priority != cells[key]:
                rule.priority = cells[key]
                rule.save(update_fields=["priority"])
                changed += 1
    return changed
