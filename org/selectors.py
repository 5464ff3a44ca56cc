"""Reads of organisation data, scoped by who asks."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import ApiToken, BusinessService, Team, User
from .roles import is_staff_side


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
