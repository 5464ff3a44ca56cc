"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.db.models import Q, QuerySet

from org.models import BusinessService, Team, User
from servicedesk.feeds import ChangeFeedFilterSet, ModelIdsFilter, UtcDateTimeFilter

from .choices import OPEN_STATUSES, Category, ChangeStatus, ChangeType, Outcome, RiskClass
from .models import Change, ChangeTemplate, FreezeWindow

ORDERING = (
    ("created_at", "created"),
    ("updated_at", "updated"),
    ("planned_start", "planned_start"),
    ("status", "status"),
)


class ChangeFilterSet(ChangeFeedFilterSet):
    q = django_filters.CharFilter(method="search", label="Search (reference, title, text)")
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="Open only")
    type = django_filters.MultipleChoiceFilter(choices=ChangeType.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    risk_class = django_filters.MultipleChoiceFilter(choices=RiskClass.choices)
    outcome = django_filters.MultipleChoiceFilter(choices=Outcome.choices)
    owner_team_id = ModelIdsFilter(field_name="owner_team", queryset=Team.objects.all())
    requester_id = ModelIdsFilter(field_name="requester", queryset=User.objects.all())
    implementer_id = ModelIdsFilter(field_name="implementer", queryset=User.objects.all())
    service_id = django_filters.ModelChoiceFilter(
        method="filter_service", queryset=BusinessService.objects.all()
    )
    template_id = ModelIdsFilter(field_name="template", queryset=ChangeTemplate.objects.all())
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    starts_after = UtcDateTimeFilter(field_name="planned_start", lookup_expr="gte")
    starts_before = UtcDateTimeFilter(field_name="planned_start", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(fields=ORDERING)

    class Meta:
        model = Change
        fields: list[str] = []

    def search(self, queryset: QuerySet[Change], name: str, value: str) -> QuerySet[Change]:
        value = value.strip()
        if not value:
            return queryset
        pk = Change.id_from_ref(value)
        if pk is not None:
            return queryset.filter(pk=pk)
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_open(self, queryset: QuerySet[Change], name: str, value: bool | None):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.exclude(status__in=OPEN_STATUSES)

    def filter_service(self, queryset: QuerySet[Change], name: str, value: BusinessService | None):
        """A subquery rather than a join, so the list needs no DISTINCT."""
        if value is None:
            return queryset
        through = Change.services.through.objects.filter(businessservice_id=value.pk)
        return queryset.filter(pk__in=through.values("change_id"))


class FreezeWindowFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(field_name="is_active")
    ends_after = UtcDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    starts_before = UtcDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = FreezeWindow
        fields: list[str] = []
