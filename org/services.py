"""The only writers of organisation state."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from servicedesk.errors import Conflict, NotFound, ValidationFailed

from .choices import TokenScope
from .models import ApiToken, User

MAX_TOKENS_PER_USER = 20


TOKEN_DAYS_MIN, TOKEN_DAYS_MAX = 1, 366


def api_token_create(
    *, user: User, name: str, expires_in_days: int = 90, scope: str = TokenScope.READ_WRITE
) -> tuple[ApiToken, str]:
    """Create a named token with a scope and an expiry (every token expires: 1 to 366 days);
    the plaintext is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name, e.g. the tool that will use it.")
    if len(name) > 80:
        raise ValidationFailed("A token name has at most 80 characters.")
    if not isinstance(expires_in_days, int) or not (
        TOKEN_DAYS_MIN <= expires_in_days <= TOKEN_DAYS_MAX
    ):
        raise ValidationFailed(
            f"A token expires after {TOKEN_DAYS_MIN} to {TOKEN_DAYS_MAX} days.",
            details={"expires_in_days": [f"Between {TOKEN_DAYS_MIN} and {TOKEN_DAYS_MAX}."]},
        )
    if scope not in TokenScope.values:
        raise ValidationFailed(
            f"A token's scope is one of: {', '.join(TokenScope.values)}.",
            details={"scope": ["Unknown scope."]},
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialise per user
        live = ApiToken.objects.filter(user=user).exclude(expiry__lt=timezone.now())
        if live.count() >= MAX_TOKENS_PER_USER:
            raise Conflict(
                f"You already have {MAX_TOKENS_PER_USER} tokens; revoke one first.",
                code="token.limit_reached",
            )
        token, plaintext = ApiToken.objects.create(
            user=user, expiry=timedelta(days=expires_in_days), name=name, scope=scope
        )
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
