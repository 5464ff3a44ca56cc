"""Two members approve the same change at the same moment on PostgreSQL: the row lock makes
one of them settle it; the other's decision finds it already settled."""

import threading
from typing import Any

import pytest
from django.db import connection

from changes import services
from changes.models import ChangeDecision, ChangeEvent
from servicedesk.errors import DomainError

from ..org.factories import UserFactory
from .factories import authority, make_change


def _race(change_pk: int, people: list[Any]) -> dict[str, Any]:
    barrier = threading.Barrier(len(people))
    outcomes: dict[str, Any] = {}

    def approve(user: Any) -> None:
        try:
            barrier.wait(timeout=10)
            result = services.change_approve(change=change_pk, actor=user)
            outcomes[user.username] = result.status
        except DomainError as exc:
            outcomes[user.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_settle_once(require_postgres: Any) -> None:
    requester = UserFactory(username="req")
    first, second = UserFactory(username="first"), UserFactory(username="second")
    authority("peer-review").members.set([first, second])  # any one member settles it
    change = make_change(requester)
    change = services.change_submit(change=change, actor=requester)
    outcomes = _race(change.pk, [first, second])
    settled = [name for name, result in outcomes.items() if result == "authorised"]
    refused = [r for r in outcomes.values() if isinstance(r, DomainError)]
    assert len(settled) == 1 and len(refused) == 1, outcomes
    assert refused[0].status == 409
    assert refused[0].message == f"{change.ref} is authorised; it is not awaiting authorisation."
    assert ChangeEvent.objects.filter(change=change, type="change.authorised").count() == 1
    assert ChangeDecision.objects.filter(change=change).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_of_two_needed_at_once_both_count(require_postgres: Any) -> None:
    requester = UserFactory(username="req")
    first, second = UserFactory(username="first"), UserFactory(username="second")
    peer = authority("peer-review")
    peer.rule, peer.required = "all", 1
    peer.save()
    peer.members.set([first, second])
    change = services.change_submit(change=make_change(requester), actor=requester)
    outcomes = _race(change.pk, [first, second])
    assert sorted(outcomes.values()) == ["assessed", "authorised"], outcomes
    assert ChangeEvent.objects.filter(change=change, type="change.authorised").count() == 1
    assert ChangeDecision.objects.filter(change=change).count() == 2
