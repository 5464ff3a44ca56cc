"""Reads of organisation data, scoped by who asks."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from servicedesk.errors import ValidationFailed

from .models import ApiToken, BusinessService, Team, User
from .roles import is_staff_side

PEOPLE_SEARCH_LIMIT = 10


def user_directory(*, user: User) -> QuerySet[User]:
    """Active people; every signed-in person may look colleagues up (a requester by name and
    department only: see ``org.api.serializers.ColleagueSerializer``)."""
    people = User.objects.filter(is_active=True)
    if not is_staff_side(user):
        return people.select_related("department")
    return people.select_related("department", "manager")


def team_list(*, user: User) -> QuerySet[Team]:
    return (
        Team.objects.filter(is_active=True)
        .select_related("lead")
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("username")))
    )


def service_list(*, user: User) -> QuerySet[BusinessService]:
    return BusinessService.objects.filter(is_active=True).select_related("owner_team")


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created")


def live_api_token_count(*, user: User) -> int:
    return api_tokens_for(user=user).exclude(expiry__lt=timezone.now()).count()


def people_search(*, user: User, text: str) -> QuerySet[User]:
    """Colleagues whose name, username or e-mail contains ``text`` (two characters at least)."""
    text = (text or "").strip()
    if len(text) < 2:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(display_name__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(username__icontains=text)
            | Q(email__icontains=text)
        )
        .order_by("display_name", "username")
    )


def person_lookup(*, user: User, text: str) -> User:
    """The one colleague ``text`` names: an e-mail address or username exactly, else a name
    (or part of one) that matches one person only."""
    text = (text or "").strip()
    active = User.objects.filter(is_active=True)
    exact = list(active.filter(Q(email__iexact=text) | Q(username__iexact=text))[:2])
    if len(exact) == 1:
        return exact[0]
    matches = list(people_search(user=user, text=text)[: PEOPLE_SEARCH_LIMIT + 1])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ValidationFailed(
            f"Nobody called “{text}” has an account here. Try their e-mail address.",
            details={"person": ["no match"]},
        )
    shown = ", ".join(f"{p.name} ({p.email or p.username})" for p in matches[:5])
    raise ValidationFailed(
        f"Several people match “{text}”: {shown}. Type the e-mail address of the one you mean.",
        details={"person": ["ambiguous"]},
    )


def calendars() -> QuerySet[Any]:
    """Every calendar with its hours and holidays (two prefetches)."""
    from .models import BusinessCalendar

    return BusinessCalendar.objects.prefetch_related("hours", "holidays").order_by("name", "pk")
