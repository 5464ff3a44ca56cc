from typing import Any

import django_filters

from .choices import ReasonCategory, RiskClass, State
from .models import BypassRequest


class BypassRequestFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    risk_class = django_filters.ChoiceFilter(choices=RiskClass.choices)
    reason_category = django_filters.ChoiceFilter(choices=ReasonCategory.choices)
    requester_id = django_filters.NumberFilter(field_name="requester_id")
    beneficiary_id = django_filters.NumberFilter(field_name="beneficiary_id")
    subject_type = django_filters.CharFilter(field_name="subject_type")
    subject_id = django_filters.NumberFilter(field_name="subject_id")
    gate = django_filters.CharFilter(method="by_gate")

    class Meta:
        model = BypassRequest
        fields: list[str] = []

    def by_gate(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(
            pk__in=BypassRequest.objects.filter(items__gate_id=value).values("pk")
        )
