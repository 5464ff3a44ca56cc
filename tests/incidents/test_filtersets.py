"""The id filters (``ModelIdsFilter``): unset, they leave the list alone without compiling any
SQL (django-filter's ``if not value`` on the form's ``queryset.none()`` did, on every list);
set, they filter (tests/incidents/test_api.py: ``team_id``, ``assignee_id``, unknown ids)."""

from typing import Any
from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from incidents.filtersets import IncidentFilterSet, ModelIdsFilter, ProblemFilterSet
from incidents.models import Incident, Problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("filterset", "model"), [(IncidentFilterSet, Incident), (ProblemFilterSet, Problem)]
)
def test_unset_id_filters_compile_nothing(filterset: Any, model: Any) -> None:
    assert any(isinstance(f, ModelIdsFilter) for f in filterset.base_filters.values())
    queryset = model.objects.all()
    filters = filterset({}, queryset=queryset)
    assert filters.is_valid()
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")):
        result = filters.qs
    assert str(result.query) == str(queryset.query)
