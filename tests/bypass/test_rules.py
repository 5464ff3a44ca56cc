"""The pure rules: risk, separation of duties, quorum over a rule tree."""

import pytest

from bypass import approvals as a
from bypass import gates
from bypass.choices import Treatment

P = a.Parties(
    requester_id=1,
    beneficiary_id=2,
    implementer_id=3,
    assignee_id=4,
    requester_chain=(10, 20),
    beneficiary_chain=(20,),
)


@pytest.mark.parametrize(
    ("candidate", "chain", "reason"),
    [
        (1, (), "is the requester"),
        (2, (), "is the beneficiary"),
        (3, (), "is the implementer"),
        (4, (), "is the assignee of the subject"),
        (5, (2, 20), "reports to the beneficiary"),
        (6, (1,), "reports to the requester"),
    ],
)
def test_sod_excludes_with_reason(candidate, chain, reason):
    assert reason in a.sod_exclusions(candidate, chain, P)


def test_sod_allows_outsider_and_boss():
    assert a.sod_exclusions(7, (30,), P) == []
    assert a.sod_exclusions(20, (), P) == []  # above them: may approve, but is not independent
    assert not a.independent(20, (), P)
    assert a.independent(7, (30,), P)


def plan(rule, eligible, **kw):
    return a.Plan(rule=rule, eligible=eligible, **kw)


def test_quorum_any_all_n_of():
    p = plan(
        {"all": [{"group": "x", "required": 1}, {"group": "y", "required": 1}]},
        {"x": [1, 2], "y": [3]},
    )
    assert a.evaluate(p, {}) == a.PENDING
    assert a.evaluate(p, {1: "approve"}) == a.PENDING
    assert a.evaluate(p, {1: "approve", 3: "approve"}) == a.APPROVED
    assert a.evaluate(p, {3: "reject"}) == a.REJECTED  # settles early
    anyp = plan({"any": [{"group": "x"}, {"group": "y"}]}, {"x": [1], "y": [2]})
    assert a.evaluate(anyp, {2: "approve"}) == a.APPROVED
    assert a.evaluate(anyp, {1: "reject"}) == a.PENDING
    assert a.evaluate(anyp, {1: "reject", 2: "reject"}) == a.REJECTED
    n = plan(
        {"n_of": 2, "of": [{"group": "x"}, {"group": "y"}, {"group": "z"}]},
        {"x": [1], "y": [2], "z": [3]},
    )
    assert a.evaluate(n, {1: "approve"}) == a.PENDING
    assert a.evaluate(n, {1: "approve", 3: "approve"}) == a.APPROVED
    assert a.evaluate(n, {1: "reject", 2: "reject"}) == a.REJECTED


def test_one_vote_per_person_across_slots():
    p = plan(
        {"all": [{"group": "x", "required": 1}, {"group": "y", "required": 1}]},
        {"x": [1, 2], "y": [1, 3]},
    )
    assert a.evaluate(p, {1: "approve"}) == a.PENDING  # counts in one slot only
    assert a.evaluate(p, {1: "approve", 3: "approve"}) == a.APPROVED


def test_two_required_becomes_unreachable():
    p = plan({"group": "x", "required": 2, "deny": 2}, {"x": [1, 2]})
    assert a.evaluate(p, {1: "reject"}) == a.REJECTED
    assert not a.reachable(plan({"group": "x", "required": 2}, {"x": [1]}))


def test_independence_required_for_high_risk():
    p = plan({"group": "x"}, {"x": [1, 2]}, needs_independent=True, independent_ids=[2])
    assert a.evaluate(p, {1: "approve"}) == a.PENDING
    assert a.evaluate(p, {1: "approve", 2: "approve"}) == a.APPROVED
    assert a.evaluate(p, {1: "approve", 2: "reject"}) == a.REJECTED
    nobody = plan({"group": "x"}, {"x": [1]}, needs_independent=True, independent_ids=[])
    assert not a.reachable(nobody)


def test_resolve_plan_explains_exclusions():
    p = a.resolve_plan(
        rule={"group": "x"},
        members={"x": [1, 2, 7, 5]},
        chains={5: (2, 20), 7: (30,)},
        parties=P,
        risk_class="high",
        names={1: "Rea", 2: "Ben", 5: "Sub", 7: "Out"},
    )
    assert p.eligible == {"x": [7]}
    assert {e["name"]: e["reasons"] for e in p.excluded} == {
        "Rea": ["is the requester"],
        "Ben": ["is the beneficiary"],
        "Sub": ["reports to the beneficiary"],
    }
    assert p.independent_ids == [7]


def test_risk_class_and_recurrence_text():
    low = a.assess_risk(gate_weight=1, service_tier=4, change_risk=None, recurrence={})
    assert low.risk_class == "low"
    high = a.assess_risk(
        gate_weight=3, service_tier=1, change_risk="high", recurrence={"service": 2}
    )
    assert (high.score, high.risk_class) == (9, "critical")
    assert a.recurrence_text({"service": 2, "team": 1}) == (
        "3rd bypass of this gate for this service in 90 days."
    )


def test_rule_validation():
    a.validate_rule({"n_of": 1, "of": [{"group": "x"}]})
    for bad in ({}, {"all": []}, {"n_of": 3, "of": [{"group": "x"}]}, {"group": ""}, []):
        with pytest.raises(ValueError):
            a.validate_rule(bad)


def test_registry_has_process_gates_and_never_bypassable_ones():
    ids = {g.id for g in gates.all_gates()}
    for gate_id in (
        "incident.triage.priority_matrix",
        "incident.routing.assignment_rules",
        "incident.queue.order",
        "incident.closure.customer_confirmation",
        "change.normal.cab_authorization",
        "change.schedule.freeze",
    ):
        assert gate_id in ids
    for gate_id in (
        "incident.sla.clock_rules",
        "change.approval.separation_of_duties",
        "bypass.process",
    ):
        gate = gates.get(gate_id)
        assert gate is not None and not gate.bypassable and not gate.treatments
    forced = gates.register(
        gates.Gate("bypass.test_forced", "bypass", "t", "t", frozenset({Treatment.SKIP}))
    )
    assert not forced.bypassable
    with pytest.raises(ValueError):
        gates.register(gates.Gate("x.y", "x", "t", "t", frozenset({"teleport"})))
