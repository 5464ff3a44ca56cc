"""Reads of notifications, always scoped to their recipient."""

from collections.abc import Iterable

from django.db.models import QuerySet

from org.models import User

from .choices import Kind
from .models import EmailPreference, Notification


def notification_list(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_kinds_for(*, users: Iterable[User]) -> dict[int, set[str]]:
    """Per user id, the kinds they get by e-mail (default: all). One query."""
    ids = {u.pk for u in users}
    chosen = {pk: set(Kind.values) for pk in ids}
    for user_id, kind, email in EmailPreference.objects.filter(user_id__in=ids).values_list(
        "user_id", "kind", "email"
    ):
        if not email:
            chosen[user_id].discard(kind)
    return chosen
