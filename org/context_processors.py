from typing import Any

from django.http import HttpRequest

from .choices import Role


def roles(request: HttpRequest) -> dict[str, Any]:
    """Role flags for navigation (roles are computed once per request and cached)."""
    user = getattr(request, "user", None)
    user_roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return {
        "roles": sorted(str(r) for r in user_roles),  # a stable order for the title
        "is_analyst": Role.ANALYST in user_roles or Role.ADMIN in user_roles,
        "is_manager": Role.MANAGER in user_roles or Role.ADMIN in user_roles,
        "is_process_owner": Role.PROCESS_OWNER in user_roles or Role.ADMIN in user_roles,
        "is_admin": Role.ADMIN in user_roles,
    }
