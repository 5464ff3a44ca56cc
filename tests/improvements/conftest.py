"""People and data for the improvement register: process owners, a suggestion built through
the real service, and approved bypass requests filed and decided through the bypass app's
services (so every one has its ledger entries)."""

from datetime import timedelta
from typing import Any

import pytest

from bypass import services as bypass_services
from improvements import services
from improvements.models import Improvement
from servicedesk import clock

from ..bypass.conftest import boss, file, group, incident, managers, owners, policies  # noqa: F401
from ..incidents.factories import make_incident
from ..org.factories import UserFactory


@pytest.fixture
def debt_policies(db: Any) -> None:
    """The seeded debt policies (a transactional test's flush removes migration data)."""
    import importlib

    from django.apps import apps

    importlib.import_module(
        "improvements.migrations.0002_append_only_and_debt_policies"
    ).seed_policies(apps, None)


@pytest.fixture
def process_owner(db: Any) -> Any:
    person = UserFactory(username="po", display_name="Pat Owner")
    group("Process owners", person)
    return person


@pytest.fixture
def suggestion(requester: Any, process_owner: Any) -> Improvement:
    return services.improvement_suggest(
        actor=requester,
        title="The VPN form asks for the asset tag",
        description="Nobody knows their asset tag; the form should look it up.",
    )


def approved_bypass(analyst: Any, approver: Any, *, beneficiary: Any = None, **kwargs: Any) -> Any:
    """A bypass of the customer-confirmation gate on a fresh incident, approved."""
    subject = make_incident(beneficiary or analyst)
    request = file(analyst, subject, beneficiary=beneficiary, **kwargs)
    return bypass_services.bypass_approve(request=request, actor=approver, comment="Fine")


def later(hours: int) -> Any:
    return clock.now() + timedelta(hours=hours)


def make_debt(analyst: Any, beneficiary: Any) -> Any:
    """A process-debt item raised by the real sweep from three approved bypasses (for pages
    that need one: seeds the bypass and debt policies a transactional flush removed)."""
    import importlib

    from django.apps import apps

    from improvements.models import ProcessDebt

    importlib.import_module("bypass.migrations.0002_append_only_and_policies").seed(apps, None)
    importlib.import_module(
        "improvements.migrations.0002_append_only_and_debt_policies"
    ).seed_policies(apps, None)
    approver = UserFactory(username="gateowner", display_name="Gale Owner")
    group("Process owners", approver)
    for _ in range(3):
        approved_bypass(analyst, approver, beneficiary=beneficiary)
    services.debt_sweep()
    return ProcessDebt.objects.order_by("pk").first()
