"""People and subjects for bypass tests: a requester who is an analyst, an incident, and
approvers in the groups the default policies name."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group

from bypass import services
from changes import services as change_services
from incidents.models import Incident
from org.choices import Role
from servicedesk import clock

from ..changes.factories import People, authority, change_in
from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory, TeamFactory, UserFactory


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
        [{"gate": "incident.closure.customer_confirmation", "treatment": "skip"}],
    )
    kwargs.setdefault("reason_category", "service_restoration")
    kwargs.setdefault("justification", "The whole trading floor is affected by this outage.")
    kwargs.setdefault("what_does_not_fit", "The matrix ranks one reporter as low impact.")
    kwargs.setdefault("valid_until", clock.now() + timedelta(hours=4))
    return services.bypass_create(actor=actor, **kwargs)


# --- break-glass: an authorised change in a freeze, a P1, an on-call engineer --------------
FREEZE = "change.schedule.freeze"
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def world(db: Any, in_group: Any, policies: None) -> dict[str, Any]:
    platform = TeamFactory(slug="platform", name="Platform")
    payroll = BusinessServiceFactory(slug="payroll", name="Payroll", owner_team=platform, tier=2)
    implementer = UserFactory(username="implementer", display_name="Ivy Implementer")
    platform.members.add(implementer)
    cab = [
        in_group(UserFactory(username=n, display_name=n.title()), Role.CHANGE_AUTHORITY)
        for n in ("alice", "bob", "carol")
    ]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(cab)
    owner = in_group(UserFactory(username="owner", display_name="Olga Owner"), Role.PROCESS_OWNER)
    managers = [
        in_group(UserFactory(username=f"mgr{i}", display_name=f"Manager {i}"), Role.MANAGER)
        for i in range(2)
    ]
    oncall = UserFactory(username="oncall", display_name="Omar Oncall")
    platform.members.add(oncall)
    Group.objects.get(name="On-call engineers").user_set.add(oncall)
    requester = UserFactory(username="req", display_name="Rita Requester")
    people = People(requester, implementer, cab, owner)
    change = change_in("authorised", people, services=[payroll])
    change_services.freeze_create(
        actor=owner,
        name="Year-end freeze",
        starts_at=change.planned_start - timedelta(hours=1),
        ends_at=change.planned_end + timedelta(hours=1),
        reason="Year-end close.",
    )
    incident = make_incident(requester, actor=oncall, title="Payroll down")
    Incident.objects.filter(pk=incident.pk).update(priority=1)
    return {
        "change": change,
        "incident": incident,
        "oncall": oncall,
        "owner": owner,
        "cab": cab,
        "managers": managers,
        "requester": requester,
    }


def declare(w: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("actor", w["oncall"])
    kwargs.setdefault("gate_id", FREEZE)
    kwargs.setdefault("subject_type", "changes.change")
    kwargs.setdefault("subject_id", w["change"].pk)
    kwargs.setdefault("incident_id", w["incident"].pk)
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("justification", "Payroll is down; the fix must go in during the freeze.")
    return services.bypass_break_glass(**kwargs)
