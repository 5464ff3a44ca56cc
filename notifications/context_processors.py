from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def bell(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the bell: at most one query per request, and none unless a
    template shows it (computed lazily, then kept on the request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        cached = getattr(request, "_unread_notifications", None)
        if cached is None:
            from .selectors import unread_count

            cached = unread_count(user=user)
            request._unread_notifications = cached  # type: ignore[attr-defined]
        return cached

    return {"unread_notifications": SimpleLazyObject(count)}
