"""Who is what. Roles are derived from facts, so they cannot drift from them:

* requester — every signed-in person;
* analyst — a member of at least one team;
* manager — the lead of a team, or in the "Managers" group (approvers without a team);
* change authority member, process owner — in their Django group;
* admin — a superuser.
"""

from typing import TYPE_CHECKING, Any, cast

from .choices import ROLE_GROUPS, Role

if TYPE_CHECKING:
    from .models import User


def roles_for(user: Any) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles: set[Role] = {Role.REQUESTER}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    groups = set(user.groups.values_list("name", flat=True))
    roles.update(role for role, group in ROLE_GROUPS.items() if group in groups)
    if user.team_ids:
        roles.add(Role.ANALYST)
    if user.led_team_ids:
        roles.add(Role.MANAGER)
    return frozenset(roles)


def is_staff_side(user: Any) -> bool:
    """Analysts, managers and admins work tickets; plain requesters only see their own."""
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & {Role.ANALYST, Role.MANAGER, Role.ADMIN})


def request_user(request: Any) -> "User":
    """The signed-in user of a request whose view already requires authentication."""
    return cast("User", request.user)
