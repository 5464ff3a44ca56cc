"""The incident process's gates, declared to the bypass registry at start-up, and the facts
the bypass process may read about an incident (it imports nothing from this app)."""

from typing import Any

from bypass import gates
from bypass.choices import Treatment as T
from bypass.gates import Gate, GateKind

from .choices import OPEN_STATUSES

OWNER = "Process owners"

GATES = [
    Gate(
        "incident.triage.priority_matrix",
        "incident",
        "Priority matrix",
        "Priority is the impact x urgency matrix cell.",
        frozenset({T.OVERRIDE}),
        kind=GateKind.VALUE,
        weight=2,
        owner=OWNER,
    ),
    Gate(
        "incident.routing.assignment_rules",
        "incident",
        "Assignment rules",
        "Incidents are routed to a team by the routing rules.",
        frozenset({T.OVERRIDE}),
        kind=GateKind.VALUE,
        weight=1,
        owner=OWNER,
    ),
    Gate(
        "incident.queue.order",
        "incident",
        "Queue order",
        "Work is pulled in priority and age order.",
        frozenset({T.OVERRIDE}),
        kind=GateKind.VALUE,
        weight=1,
        owner=OWNER,
    ),
    Gate(
        "incident.closure.customer_confirmation",
        "incident",
        "Customer confirmation",
        "The requester confirms the fix before an incident is closed.",
        frozenset({T.SKIP}),
        weight=2,
        owner=OWNER,
    ),
    Gate(
        "incident.reopen.window",
        "incident",
        "Reopen window",
        "A resolved incident is reopened only within the reopen window.",
        frozenset({T.SKIP}),
        weight=1,
        owner=OWNER,
    ),
    Gate(
        "incident.resolution.code_and_notes_required",
        "incident",
        "Resolution code and notes",
        "A resolution has a code and notes the requester can read.",
        frozenset({T.WAIVE_FIELD, T.DEFER}),
        weight=1,
        owner=OWNER,
    ),
    Gate(
        "incident.pend.reason_required",
        "incident",
        "Pending reason",
        "Pending says what the incident waits on.",
        frozenset({T.WAIVE_FIELD}),
        weight=1,
        owner=OWNER,
    ),
    Gate(
        "incident.assign.assignee_in_team",
        "incident",
        "Assignee in team",
        "The assignee is a member of the chosen team.",
        frozenset({T.SKIP, T.SUBSTITUTE}),
        weight=1,
        owner=OWNER,
    ),
    Gate(
        "incident.sla.clock_rules",
        "incident",
        "SLA clock rules",
        "SLA clocks pause and stop by their rules (protects customer-facing metrics).",
        frozenset(),
        bypassable=False,
        weight=4,
        owner=OWNER,
    ),
    # Permission checks are named so a refusal can be explained, but they are not process
    # steps anyone may bypass.
    Gate(
        "incident.permission.work",
        "incident",
        "Who may work an incident",
        "Only the assignee, the incident's team, its lead or an admin.",
        frozenset(),
        bypassable=False,
        owner=OWNER,
    ),
    *(
        Gate(gate_id, "incident", title, checks, frozenset(), bypassable=False, owner=OWNER)
        for gate_id, title, checks in (
            (
                "incident.permission.party_or_work",
                "Requester or worker",
                "Only the requester or someone working the incident.",
            ),
            (
                "incident.permission.party_or_agent",
                "Requester or analyst",
                "Only the requester or an analyst.",
            ),
            (
                "incident.assign.assignee_is_analyst",
                "Assignee is an analyst",
                "Incidents are assigned to members or leads of a team.",
            ),
            (
                "incident.assign.target_required",
                "Assignment target",
                "An assignment names a team, an assignee or both.",
            ),
            ("incident.reason_required", "Reason given", "Reopening or cancelling needs a reason."),
            (
                "incident.merge.target",
                "Merge target",
                "A duplicate is merged into another open incident.",
            ),
        )
    ),
]


def facts(pk: int) -> dict[str, Any] | None:
    from .models import Incident

    row = (
        Incident.objects.filter(pk=pk)
        .select_related("service")
        .only("id", "service__tier", "team_id", "assignee_id", "priority", "is_major", "status")
        .first()
    )
    if row is None:
        return None
    return {
        "ref": row.ref,
        "url": f"/incidents/{row.pk}/",
        "service_id": row.service_id,
        "service_tier": row.service.tier if row.service_id else None,  # type: ignore[union-attr]
        "team_id": row.team_id,
        "assignee_id": row.assignee_id,
        "priority": row.priority,
        "is_major": row.is_major,
        "is_open": row.status in OPEN_STATUSES,
    }


def on_active(pk: int) -> None:
    from org.services import system_actor

    from .services import incident_apply_value_gates

    incident_apply_value_gates(incident=pk, actor=system_actor())


def declare() -> None:
    gates.register_many(GATES)
    gates.register_subject("incidents.incident", facts)
    gates.on_active("incidents.incident", on_active)
