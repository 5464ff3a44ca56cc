"""Changes are built through the real services, so every one has its events."""

from datetime import timedelta
from typing import Any

from changes import services
from changes.models import Change, ChangeAuthority, ChangeTemplate
from servicedesk import clock

# Answers that score 0: low risk, routed to "Peer review" (any one member).
LOW_RISK = {
    "impact_if_fails": 4,
    "complexity": "low",
    "tested": True,
    "backout_tested": True,
    "service_tier": 4,
}
# Score 40 + 25 + 15 + 10 + 20 = 110: very high (Service owner, then CAB).
VERY_HIGH_RISK = {
    "impact_if_fails": 1,
    "complexity": "high",
    "tested": False,
    "backout_tested": False,
    "service_tier": 1,
}
# Score 25 + 10 + 0 + 0 + 20 = 55: high, routed to "CAB" (2 of m).
HIGH_RISK = {
    "impact_if_fails": 2,
    "complexity": "medium",
    "tested": True,
    "backout_tested": True,
    "service_tier": 1,
}


def authority(slug: str) -> ChangeAuthority:
    return ChangeAuthority.objects.get(slug=slug)


def make_change(requester: Any, **kwargs: Any) -> Change:
    start = clock.now() + timedelta(days=10)
    kwargs.setdefault("title", "Upgrade the payroll database to 16.4")
    kwargs.setdefault("description", "Minor version upgrade with security fixes.")
    kwargs.setdefault("category", "database")
    kwargs.setdefault("planned_start", start)
    kwargs.setdefault("planned_end", start + timedelta(hours=2))
    kwargs.setdefault("implementation_plan", "Fail over, upgrade the standby, fail back.")
    kwargs.setdefault("backout_plan", "Fail back to the old primary.")
    kwargs.setdefault("test_plan", "Rehearsed on staging on Monday; smoke tests after.")
    for key, value in kwargs.pop("risk", LOW_RISK).items():
        kwargs.setdefault(key, value)
    actor = kwargs.pop("actor", requester)
    return services.change_create(actor=actor, **kwargs)


def make_template(owner: Any, approver: Any, **kwargs: Any) -> ChangeTemplate:
    kwargs.setdefault("title", "Restart an application server")
    kwargs.setdefault("procedure", "Drain, restart, check health, undrain.")
    kwargs.setdefault("category", "application")
    kwargs.setdefault("backout_plan", "Undrain the node; it was healthy before.")
    kwargs.setdefault("test_plan", "Health endpoint returns 200 after restart.")
    kwargs.setdefault("max_duration", timedelta(hours=1))
    template = services.template_propose(actor=owner, **kwargs)
    return services.template_approve(template=template, actor=approver)


class People:
    """Who does what in ``change_in``."""

    def __init__(self, requester: Any, implementer: Any, approvers: list[Any], owner: Any):
        self.requester, self.implementer = requester, implementer
        self.approvers, self.owner = approvers, owner


def change_in(status: str, people: People, **kwargs: Any) -> Change:
    """A low-risk normal change driven through the real services into ``status``. Statuses
    after ``scheduled`` travel to the planned window (the caller wraps in time_machine)."""
    import time_machine

    kwargs.setdefault("implementer", people.implementer)
    change = make_change(people.requester, **kwargs)
    if status == "draft":
        return change
    if status == "cancelled":
        return services.change_cancel(change=change, actor=people.requester, reason="Not needed")
    if status == "submitted":
        # Submission is assessed at once; the transient state is set by hand for table tests.
        Change.objects.filter(pk=change.pk).update(status="submitted")
        change.refresh_from_db()
        return change
    change = services.change_submit(change=change, actor=people.requester)
    if status == "assessed":
        return change
    if status == "rejected":
        return services.change_reject(
            change=change, actor=people.approvers[0], comment="No rollback rehearsal."
        )
    change = services.change_approve(change=change, actor=people.approvers[0])
    if status == "authorised":
        return change
    change = services.change_schedule(change=change, actor=people.requester)
    if status == "scheduled":
        return change
    with time_machine.travel(change.planned_start, tick=False):
        change = services.change_start(change=change, actor=people.implementer)
        if status == "implementing":
            return change
        change = services.change_complete(
            change=change, actor=people.implementer, outcome="successful"
        )
        if status == "implemented":
            return change
        change = services.change_review(change=change, actor=people.owner)
        if status == "reviewed":
            return change
        change = services.change_close(change=change, actor=people.owner)
        if status == "closed":
            return change
    raise ValueError(status)
