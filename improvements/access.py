"""Who may do what in the register. Pure functions over the person and the row."""

from typing import Any

from org.choices import Role

from .models import Improvement

STEWARDS = frozenset({Role.PROCESS_OWNER, Role.ADMIN})


def is_steward(user: Any) -> bool:
    """Process owners and admins look after the whole register (and may reassign)."""
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & STEWARDS)


def group_names(user: Any) -> frozenset[str]:
    cached = getattr(user, "_improvement_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._improvement_groups = cached
    return cached


def owns(user: Any, improvement: Improvement) -> bool:
    """The item's owner, a member of its owning group, a process owner or an admin."""
    if not getattr(user, "is_authenticated", False):
        return False
    if improvement.owner_id is not None and improvement.owner_id == user.pk:
        return True
    if is_steward(user):
        return True
    return bool(improvement.owner_group) and improvement.owner_group in group_names(user)
