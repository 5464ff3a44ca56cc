"""Who may see and work a change: pure functions over the user's derived roles and teams."""

from typing import Any

from org.choices import Role

STAFF_ROLES = frozenset(
    {Role.ANALYST, Role.MANAGER, Role.ADMIN, Role.CHANGE_AUTHORITY, Role.PROCESS_OWNER}
)


def sees_all(user: Any) -> bool:
    """Staff see the whole change schedule; a plain requester sees their own changes."""
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & STAFF_ROLES)


def is_process_owner(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & {Role.PROCESS_OWNER, Role.ADMIN})


def in_owner_team(user: Any, change: Any) -> bool:
    team_id = change.owner_team_id
    return team_id is not None and (team_id in user.team_ids or team_id in user.led_team_ids)


def may_edit(user: Any, change: Any) -> bool:
    """Edit, submit, schedule, cancel: the requester, the owner team, a process owner."""
    return change.requester_id == user.pk or in_owner_team(user, change) or is_process_owner(user)


def may_implement(user: Any, change: Any) -> bool:
    return (
        change.implementer_id == user.pk or in_owner_team(user, change) or Role.ADMIN in user.roles
    )


def may_manage(user: Any, change: Any) -> bool:
    """Review and close: the owner team's lead, a process owner or an admin."""
    team_id = change.owner_team_id
    return is_process_owner(user) or (team_id is not None and team_id in user.led_team_ids)


def may_propose_template(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & {Role.ANALYST, Role.MANAGER, Role.PROCESS_OWNER, Role.ADMIN})
