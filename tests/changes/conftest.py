"""People and services for change tests: an owner team with a service, authority members in
every seeded authority, a process owner."""

from collections.abc import Callable
from typing import Any

import pytest

from org.choices import Role

from ..org.factories import BusinessServiceFactory, TeamFactory, UserFactory
from .factories import authority


@pytest.fixture
def platform(db: Any) -> Any:
    return TeamFactory(slug="platform", name="Platform")


@pytest.fixture
def payroll(platform: Any) -> Any:
    return BusinessServiceFactory(slug="payroll", name="Payroll", owner_team=platform, tier=2)


@pytest.fixture
def email_service(platform: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=platform, tier=3)


@pytest.fixture
def implementer(platform: Any) -> Any:
    user = UserFactory(username="implementer", display_name="Ivy Implementer")
    platform.members.add(user)
    return user


@pytest.fixture
def approvers(db: Any, in_group: Callable[[Any, Role], Any]) -> list[Any]:
    """Three members of every seeded authority (Peer review, Service owner, CAB, ECAB)."""
    people = [
        in_group(UserFactory(username=name, display_name=name.title()), Role.CHANGE_AUTHORITY)
        for name in ("alice", "bob", "carol")
    ]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(people)
    return people


@pytest.fixture
def process_owner(db: Any, in_group: Callable[[Any, Role], Any]) -> Any:
    return in_group(UserFactory(username="owner", display_name="Olga Owner"), Role.PROCESS_OWNER)
