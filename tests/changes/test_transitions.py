"""Every (from status, action) pair: allowed ones reach the expected status with their event;
refused ones raise TransitionNotAllowed and change nothing."""

from typing import Any

import pytest
import time_machine
from django.utils import timezone

from changes import services
from changes.choices import ChangeStatus
from changes.models import Change, ChangeEvent
from changes.transitions import CHANGE
from servicedesk.errors import TransitionNotAllowed

from .factories import People, change_in

STATUSES = [s.value for s in ChangeStatus]

# Written out by hand, independently of changes/transitions.py.
EXPECTED_PAIRS = {
    ("draft", "submitted"),  # submit
    ("draft", "scheduled"),  # submit_standard
    ("submitted", "assessed"),
    ("assessed", "authorised"),
    ("assessed", "rejected"),
    ("assessed", "submitted"),  # revise
    ("authorised", "submitted"),
    ("scheduled", "submitted"),
    ("authorised", "scheduled"),
    ("scheduled", "implementing"),
    ("implementing", "implemented"),
    ("implemented", "reviewed"),
    ("reviewed", "closed"),
    ("draft", "cancelled"),
    ("submitted", "cancelled"),
    ("assessed", "cancelled"),
    ("authorised", "cancelled"),
    ("scheduled", "cancelled"),
}

# (status, service action) -> resulting status; anything else is refused.
EXPECTED = {
    ("draft", "submit"): "assessed",  # submitted, then assessed by the system at once
    ("assessed", "approve"): "authorised",
    ("assessed", "reject"): "rejected",
    ("assessed", "edit"): "assessed",  # revised → submitted → assessed again
    ("authorised", "edit"): "assessed",
    ("scheduled", "edit"): "assessed",
    ("draft", "edit"): "draft",
    ("authorised", "schedule"): "scheduled",
    ("scheduled", "start"): "implementing",
    ("implementing", "complete"): "implemented",
    ("implemented", "review"): "reviewed",
    ("reviewed", "close"): "closed",
    **{
        (s, "cancel"): "cancelled"
        for s in ("draft", "submitted", "assessed", "authorised", "scheduled")
    },
}
ACTIONS = [
    "submit",
    "approve",
    "reject",
    "edit",
    "schedule",
    "start",
    "complete",
    "review",
    "close",
    "cancel",
]


def test_state_graph_matches_the_expected_pairs() -> None:
    assert CHANGE.pairs() == EXPECTED_PAIRS


def _run(action: str, change: Change, p: People) -> Change:
    if action == "submit":
        return services.change_submit(change=change, actor=p.requester)
    if action == "approve":
        return services.change_approve(change=change, actor=p.approvers[1])
    if action == "reject":
        return services.change_reject(change=change, actor=p.approvers[1], comment="Too risky.")
    if action == "edit":
        return services.change_update(change=change, actor=p.requester, title="Renamed change")
    if action == "schedule":
        return services.change_schedule(change=change, actor=p.requester)
    if action == "start":
        return services.change_start(change=change, actor=p.implementer)
    if action == "complete":
        return services.change_complete(change=change, actor=p.implementer, outcome="successful")
    if action == "review":
        return services.change_review(change=change, actor=p.owner)
    if action == "close":
        return services.change_close(change=change, actor=p.owner)
    if action == "cancel":
        return services.change_cancel(change=change, actor=p.requester, reason="Not needed")
    raise ValueError(action)


@pytest.mark.parametrize("status", STATUSES)
def test_every_action_from_every_status(
    status: str, requester: Any, implementer: Any, approvers: list, process_owner: Any
) -> None:
    people = People(requester, implementer, approvers, process_owner)
    for action in ACTIONS:
        change = change_in(status, people, title=f"{status} {action}")
        events = ChangeEvent.objects.filter(change=change).count()
        expected = EXPECTED.get((status, action))
        moment = change.planned_start if action == "start" else None
        with time_machine.travel(moment or timezone.now(), tick=False):
            if expected is None:
                with pytest.raises(TransitionNotAllowed):
                    _run(action, change, people)
                change.refresh_from_db()
                assert change.status == status, action
                assert ChangeEvent.objects.filter(change=change).count() == events, action
            else:
                result = _run(action, change, people)
                result.refresh_from_db()
                assert result.status == expected, (status, action)
                assert ChangeEvent.objects.filter(change=change).count() > events


def test_transition_refusal_names_the_state(
    requester: Any, implementer: Any, approvers: list, process_owner: Any
) -> None:
    change = change_in("draft", People(requester, implementer, approvers, process_owner))
    with pytest.raises(TransitionNotAllowed) as refused:
        services.change_schedule(change=change, actor=requester)
    assert refused.value.message == "Cannot schedule a change that is draft."
    assert refused.value.code == "state.transition_not_allowed"
