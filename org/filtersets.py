import django_filters
from django.db.models import Q, QuerySet

from servicedesk.feeds import ChangeFeedFilterSet, ModelIdsFilter

from .choices import SeniorityBand, ServiceTier
from .models import BusinessService, Department, Team, User


class UserFilterSet(ChangeFeedFilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search name, username, e-mail (e-mail: analysts only)",
        max_length=200,
    )
    department_id = ModelIdsFilter(field_name="department", queryset=Department.objects.all())
    team_id = ModelIdsFilter(field_name="teams", queryset=Team.objects.all())
    seniority_band = django_filters.MultipleChoiceFilter(choices=SeniorityBand.choices)

    class Meta:
        model = User
        fields: list[str] = []

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(
            Q(username__icontains=value)
            | Q(display_name__icontains=value)
            | Q(email__icontains=value)
        )


class ColleagueFilterSet(ChangeFeedFilterSet):
    """What a plain requester may filter the directory by: name and where people work (never
    e-mail or seniority, which requesters are not shown)."""

    q = django_filters.CharFilter(method="search", label="Search name, username", max_length=200)
    department_id = ModelIdsFilter(field_name="department", queryset=Department.objects.all())
    team_id = ModelIdsFilter(field_name="teams", queryset=Team.objects.all())

    class Meta:
        model = User
        fields: list[str] = []

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(Q(username__icontains=value) | Q(display_name__icontains=value))


class TeamFilterSet(ChangeFeedFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    member_id = ModelIdsFilter(field_name="members", queryset=User.objects.all())
    lead_id = ModelIdsFilter(field_name="lead", queryset=User.objects.all())

    class Meta:
        model = Team
        fields: list[str] = []


class BusinessServiceFilterSet(ChangeFeedFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    owner_team_id = ModelIdsFilter(field_name="owner_team", queryset=Team.objects.all())
    tier = django_filters.MultipleChoiceFilter(choices=ServiceTier.choices)

    class Meta:
        model = BusinessService
        fields: list[str] = []
