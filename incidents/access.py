"""Who may see and work an incident: pure functions over the user's derived roles and teams."""

from typing import Any

from org.choices import Role

AGENT_ROLES = frozenset({Role.ANALYST, Role.MANAGER, Role.ADMIN})


def is_agent(user: Any) -> bool:
    """Analysts, managers and admins work tickets; everyone else is only a requester."""
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & AGENT_ROLES)


def is_party(user: Any, incident: Any) -> bool:
    """The requester or whoever logged it for them."""
    return user.pk in (incident.requester_id, incident.reported_by_id)


def can_view(user: Any, incident: Any, *, is_watcher: bool = False) -> bool:
    return is_agent(user) or is_party(user, incident) or is_watcher


def works_on(user: Any, incident: Any) -> bool:
    """May move the incident through its lifecycle: admin, the assignee, a member or the lead
    of the incident's team, or any analyst while no team is set."""
    if Role.ADMIN in user.roles or incident.assignee_id == user.pk:
        return True
    if incident.team_id is None:
        return Role.ANALYST in user.roles or Role.MANAGER in user.roles
    return incident.team_id in user.team_ids or incident.team_id in user.led_team_ids
