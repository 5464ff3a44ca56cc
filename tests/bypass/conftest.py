"""People and subjects for bypass tests: a requester who is an analyst, an incident, and
approvers in the groups the default policies name."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group

from bypass import services
from servicedesk import clock

from ..incidents.factories import make_incident
from ..org.factories import UserFactory


def group(name: str, *users: Any) -> None:
    g, _ = Group.objects.get_or_create(name=name)
    g.user_set.add(*users)


@pytest.fixture
def boss(db: Any) -> Any:
    return UserFactory(username="boss", display_name="Bea Boss", seniority_band="executive")


@pytest.fixture
def policies(db: Any) -> None:
    """The seeded default policies (a transactional test's flush removes migration data)."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("bypass.migrations.0002_append_only_and_policies").seed
    seed(apps, None)


@pytest.fixture
def owners(policies: None) -> list[Any]:
    people = [UserFactory(username=f"owner{i}", display_name=f"Owner {i}") for i in range(3)]
    group("Process owners", *people)
    return people


@pytest.fixture
def managers(db: Any) -> list[Any]:
    people = [UserFactory(username=f"mgr{i}", display_name=f"Manager {i}") for i in range(3)]
    group("Managers", *people)
    return people


@pytest.fixture
def incident(requester: Any, analyst: Any) -> Any:
    return make_incident(requester)


def file(actor: Any, subject: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("subject_type", "incidents.incident")
    kwargs.setdefault("subject_id", subject.pk)
    kwargs.setdefault(
        "items",
        [{"gate": "incident.triage.priority_matrix", "treatment": "override", "value": 1}],
    )
    kwargs.setdefault("reason_category", "service_restoration")
    kwargs.setdefault("justification", "The whole trading floor is affected by this outage.")
    kwargs.setdefault("what_does_not_fit", "The matrix ranks one reporter as low impact.")
    kwargs.setdefault("valid_until", clock.now() + timedelta(hours=4))
    return services.bypass_create(actor=actor, **kwargs)
