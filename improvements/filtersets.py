"""Filters of the register and of process debt (unknown filters are a 400 in the API)."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from .choices import DebtStatus, Dimension, Status
from .models import Improvement, ProcessDebt


class ImprovementFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    service_id = django_filters.NumberFilter(field_name="service_id")
    gate_id = django_filters.CharFilter(field_name="gate_id")
    owner_id = django_filters.NumberFilter(field_name="owner_id")
    suggested_by_id = django_filters.NumberFilter(field_name="suggested_by_id")
    source = django_filters.CharFilter(field_name="source")
    q = django_filters.CharFilter(method="search", label="Search")
    mine = django_filters.BooleanFilter(method="only_mine", label="Suggested by me or mine")
    ordering = django_filters.OrderingFilter(fields=(("id", "id"), ("votes_count", "votes")))

    class Meta:
        model = Improvement
        fields: list[str] = []

    def search(self, qs: QuerySet[Improvement], name: str, value: str) -> QuerySet[Improvement]:
        value = value.strip()
        if not value:
            return qs
        pk = Improvement.id_from_ref(value)
        if pk is not None:
            return qs.filter(pk=pk)
        return qs.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def only_mine(self, qs: QuerySet[Improvement], name: str, value: Any) -> QuerySet[Improvement]:
        user = getattr(self.request, "user", None) if self.request else None
        if not value or user is None:
            return qs
        return qs.filter(Q(suggested_by=user) | Q(owner=user))


class ProcessDebtFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DebtStatus.choices)
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices)
    gate_id = django_filters.CharFilter(field_name="gate_id")

    class Meta:
        model = ProcessDebt
        fields: list[str] = []
