"""Who may read the metrics: managers, process owners and admins."""

from typing import Any

from org.choices import Role
from servicedesk.errors import PermissionDenied

VIEWERS = frozenset({Role.MANAGER, Role.PROCESS_OWNER, Role.ADMIN})


def may_view(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & VIEWERS)


def require_viewer(user: Any) -> None:
    if not may_view(user):
        raise PermissionDenied(
            "Metrics are for managers, process owners and administrators.",
            code="metrics.permission.view",
        )
