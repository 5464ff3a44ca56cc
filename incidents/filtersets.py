"""One FilterSet per model, shared by the API and the queue pages."""

from datetime import timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from org.models import BusinessService, Team, User
from servicedesk.feeds import ChangeFeedFilterSet, ModelIdsFilter, UtcDateTimeFilter

from .choices import OPEN_STATUSES, Channel, IncidentStatus, Priority, ProblemStatus
from .limits import OLDER_THAN_DAYS_MAX, SEARCH_MAX
from .models import CannedReply, Category, Incident, Problem

ORDERING = (
    ("created_at", "created"),
    ("updated_at", "updated"),
    ("priority", "priority"),
    ("due_at", "due"),
    ("status", "status"),
)


class IncidentFilterSet(ChangeFeedFilterSet):
    """Every filter is over a column of the incident row (or a to-one join), so none needs
    ``DISTINCT`` (django-filter's multi-value filters default to it, which at scale sorts every
    matched row over all its columns)."""

    q = django_filters.CharFilter(
        method="search", label="Search (reference, title, text)", max_length=SEARCH_MAX
    )
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices, distinct=False)
    open = django_filters.BooleanFilter(method="filter_open", label="Open only")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    team_id = ModelIdsFilter(field_name="team", queryset=Team.objects.all(), distinct=False)
    assignee_id = ModelIdsFilter(field_name="assignee", queryset=User.objects.all(), distinct=False)
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    service_id = ModelIdsFilter(
        field_name="service", queryset=BusinessService.objects.all(), distinct=False
    )
    category_id = ModelIdsFilter(
        field_name="category", queryset=Category.objects.all(), distinct=False
    )
    requester_id = ModelIdsFilter(
        field_name="requester", queryset=User.objects.all(), distinct=False
    )
    problem_id = ModelIdsFilter(
        field_name="problem", queryset=Problem.objects.all(), distinct=False
    )
    reported_by_id = ModelIdsFilter(
        field_name="reported_by", queryset=User.objects.all(), distinct=False, label="Logged by"
    )
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    is_major = django_filters.BooleanFilter()
    requester_replied = django_filters.BooleanFilter(
        field_name="requester_replied_at",
        lookup_expr="isnull",
        exclude=True,
        label="The requester's last reply is unanswered",
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    older_than_days = django_filters.NumberFilter(
        method="filter_age",
        label="Older than (days)",
        min_value=0,
        max_value=OLDER_THAN_DAYS_MAX,
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING)

    class Meta:
        model = Incident
        fields: list[str] = []

    def search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        value = value.strip()
        if not value:
            return queryset
        pk = Incident.id_from_ref(value)
        if pk is not None:
            return queryset.filter(pk=pk)
        from .search import search

        return search(queryset, value)

    def filter_open(self, queryset: QuerySet[Incident], name: str, value: bool | None):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.exclude(status__in=OPEN_STATUSES)

    def filter_age(self, queryset: QuerySet[Incident], name: str, value: float):
        if value is None:
            return queryset
        if value < 0:
            return queryset.none()
        return queryset.filter(created_at__lte=timezone.now() - timedelta(days=float(value)))


class ProblemFilterSet(ChangeFeedFilterSet):
    q = django_filters.CharFilter(method="search", label="Search", max_length=SEARCH_MAX)
    status = django_filters.MultipleChoiceFilter(choices=ProblemStatus.choices, distinct=False)
    owner_team_id = ModelIdsFilter(
        field_name="owner_team", queryset=Team.objects.all(), distinct=False
    )
    # the one to-many join: a problem with two of the chosen services must appear once
    service_id = ModelIdsFilter(
        field_name="services", queryset=BusinessService.objects.all(), distinct=True
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created"), ("updated_at", "updated"), ("status", "status"))
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    def search(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        value = value.strip()
        pk = Problem.id_from_ref(value)
        if pk is not None:
            return queryset.filter(pk=pk)
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class KnownErrorFilterSet(django_filters.FilterSet):
    """Published known errors: by service and by words of the title or workaround."""

    q = django_filters.CharFilter(method="search", label="Words of the title or workaround")
    service_id = django_filters.ModelChoiceFilter(
        field_name="services", queryset=BusinessService.objects.filter(is_active=True)
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    def search(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        from .selectors import title_words

        for word in title_words(value):
            queryset = queryset.filter(Q(title__icontains=word) | Q(workaround__icontains=word))
        return queryset


class CannedReplyFilterSet(django_filters.FilterSet):
    team_id = django_filters.ModelChoiceFilter(field_name="team", queryset=Team.objects.all())
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="search", label="Search the title and text")

    class Meta:
        model = CannedReply
        fields: list[str] = []

    def search(
        self, queryset: QuerySet[CannedReply], name: str, value: str
    ) -> QuerySet[CannedReply]:
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(body__icontains=value))
