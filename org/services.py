"""The only writers of organisation state."""

from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from servicedesk import clock
from servicedesk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .choices import Role, TokenScope
from .models import ApiToken, Team, User

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


def user_credentials_revoke(*, user: User, keep_session_key: str | None = None) -> tuple[int, int]:
    """Revoke every API token of ``user`` and end their sessions except ``keep_session_key``
    (the one changing the password). Returns (tokens revoked, sessions ended)."""
    with transaction.atomic():
        tokens, _ = ApiToken.objects.filter(user=user).delete()
        ended = []
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.session_key == keep_session_key:
                continue
            if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
                ended.append(session.session_key)
        Session.objects.filter(session_key__in=ended).delete()
    return tokens, len(ended)


def user_password_set(*, user: User, password: str, keep_session_key: str | None = None) -> None:
    """A new password (already validated by the form): the old one's tokens and other
    sessions stop working at once."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        user_credentials_revoke(user=user, keep_session_key=keep_session_key)
        if keep_session_key:  # the session that changed it stays signed in
            store = import_module(settings.SESSION_ENGINE).SessionStore
            session = store(session_key=keep_session_key)
            if str(session.get(SESSION_KEY)) == str(user.pk):
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                session.save()


def user_deactivate(*, user: User) -> None:
    """The person can no longer sign in; their tokens and sessions end with it."""
    with transaction.atomic():
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        user_credentials_revoke(user=user)


def user_set_away(*, user: User, actor: User, away: bool, until: datetime | None = None) -> User:
    """Mark someone away (routing rules assign them nothing new) or present again: the
    person themselves, the lead of one of their teams, or an admin."""
    allowed = (
        actor.pk == user.pk
        or Role.ADMIN in actor.roles
        or Team.objects.filter(lead=actor, memberships__user=user).exists()
    )
    if not allowed:
        raise PermissionDenied(
            "Only the person, their team lead or an admin may mark someone away.",
            code="routing.permission.away",
        )
    if until is not None and until <= clock.now():
        raise ValidationFailed("'Away until' must be in the future.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.is_away = bool(away)
        locked.away_until = until if away else None
        locked.save(update_fields=["is_away", "away_until", "updated_at"])
    return locked


# --- Business calendars ------------------------------------------------------------------------
CALENDAR_HOLIDAYS_MAX = 1000


def may_manage_calendars(user: Any) -> bool:
    from .choices import Role

    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return Role.ADMIN in roles or Role.PROCESS_OWNER in roles


def _calendar_fields(calendar: Any, data: dict[str, Any]) -> None:
    import zoneinfo

    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 120:
            raise ValidationFailed(
                "A calendar needs a name of at most 120 characters.",
                details={"name": ["1 to 120 characters."]},
            )
        calendar.name = name
    if "time_zone" in data:
        if data["time_zone"] not in zoneinfo.available_timezones():
            raise ValidationFailed(
                f"Unknown time zone {data['time_zone']!r}.",
                details={"time_zone": ["Use an IANA name such as Europe/London."]},
            )
        calendar.time_zone = data["time_zone"]
    if "is_default" in data:
        calendar.is_default = bool(data["is_default"])


def _calendar_check(hours: list[dict[str, Any]], time_zone: str) -> None:
    """The same checks the SLA clocks rely on: weekdays 0-6, ends after starts (00:00 as an
    end is midnight), no overlapping intervals on a day."""
    from .business_time import CalendarSpec

    spec_hours: dict[int, list[Any]] = {}
    for row in hours:
        spec_hours.setdefault(row["weekday"], []).append((row["start"], row["end"]))
    try:
        CalendarSpec(tz=time_zone, hours=spec_hours)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"hours": [str(exc)]}) from None


def calendar_save(
    *,
    actor: User,
    calendar: Any = None,
    hours: list[dict[str, Any]] | None = None,
    holidays: list[dict[str, Any]] | None = None,
    **data: Any,
) -> Any:
    """Create (``calendar`` None) or change a business calendar; ``hours`` and ``holidays``,
    when given, replace the calendar's whole set. Open incidents' SLA clocks are recomputed
    by the next sweeps."""
    from django.db import IntegrityError

    from .models import BusinessCalendar, Holiday, WorkingHours

    if not may_manage_calendars(actor):
        raise PermissionDenied("Only administrators and process owners change calendars.")
    if holidays is not None and len(holidays) > CALENDAR_HOLIDAYS_MAX:
        raise ValidationFailed(f"At most {CALENDAR_HOLIDAYS_MAX} holidays.")
    if holidays is not None and len({h["date"] for h in holidays}) != len(holidays):
        raise ValidationFailed("A date is listed twice.", details={"holidays": ["duplicate"]})
    with transaction.atomic():
        row: Any
        if calendar is None:
            row = BusinessCalendar()
            data.setdefault("name", "")
        else:
            pk = calendar if isinstance(calendar, int) else calendar.pk
            row = BusinessCalendar.objects.select_for_update().filter(pk=pk).first()
            if row is None:
                raise NotFound("No such calendar.")
        _calendar_fields(row, data)
        if hours is not None:
            _calendar_check(hours, row.time_zone)
        if row.is_default:
            BusinessCalendar.objects.filter(is_default=True).exclude(pk=row.pk).update(
                is_default=False
            )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise Conflict(
                f"A calendar named {row.name!r} already exists.", code="calendar.duplicate"
            ) from None
        if hours is not None:
            row.hours.all().delete()
            WorkingHours.objects.bulk_create(
                WorkingHours(calendar=row, weekday=h["weekday"], start=h["start"], end=h["end"])
                for h in hours
            )
        if holidays is not None:
            row.holidays.all().delete()
            Holiday.objects.bulk_create(
                Holiday(calendar=row, date=h["date"], name=h.get("name") or "Holiday")
                for h in holidays
            )
        from incidents.services.sla import sla_recheck_open

        sla_recheck_open()
    return row
