"""The only writers of organisation state."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from servicedesk.errors import Conflict, NotFound, ValidationFailed

from .models import ApiToken, User

MAX_TOKENS_PER_USER = 20


def api_token_create(
    *, user: User, name: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Create a named token; the plaintext is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the token a name, e.g. the tool that will use it.")
    if len(name) > 80:
        raise ValidationFailed("A token name has at most 80 characters.")
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationFailed("A token expires after 1 to 366 days.")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialise per user
        live = ApiToken.objects.filter(user=user).exclude(expiry__lt=timezone.now())
        if live.count() >= MAX_TOKENS_PER_USER:
            raise Conflict(
                f"You already have {MAX_TOKENS_PER_USER} tokens; revoke one first.",
                code="token.limit_reached",
            )
        expiry = timedelta(days=expires_in_days) if expires_in_days else None
        token, plaintext = ApiToken.objects.create(user=user, expiry=expiry, name=name)
    return token, plaintext


def api_token_revoke(*, user: User, token_key: str) -> None:
    deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise NotFound("No such token.")


SYSTEM_USERNAME = "servicedesk-bot"


def system_actor() -> User:
    """The actor recorded for automatic actions (auto-close, sweeps). It cannot sign in."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "Service desk (automatic)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
