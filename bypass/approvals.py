"""Pure rules of the bypass process, over plain data: the risk class, separation of duties
and the approval quorum. No database, so the pages can explain *why* and tests need no rows.

A rule is a tree: ``{"all": [...]}``, ``{"any": [...]}``, ``{"n_of": k, "of": [...]}`` over
leaves ``{"group": name, "required": n, "deny": d}`` (``deny``, default 1: that many
rejections by eligible members fail the leaf). The token ``@owner`` stands for the gate's owner
group and is replaced when a policy is resolved.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .choices import HIGH_RISK, RiskClass

# --- risk -----------------------------------------------------------------------------------
TIER_POINTS = {1: 3, 2: 2, 3: 1, 4: 0}
CHANGE_RISK_POINTS = {"low": 0, "medium": 1, "high": 2, "very_high": 3}


def recurrence_points(count: int) -> int:
    if count <= 0:
        return 0
    if count <= 2:
        return 1
    if count <= 5:
        return 2
    return 3


@dataclass(frozen=True)
class Risk:
    score: int
    risk_class: str
    inputs: dict[str, Any]


def assess_risk(
    *,
    gate_weight: int,
    service_tier: int | None,
    change_risk: str | None,
    recurrence: Mapping[str, int],
) -> Risk:
    """Gate weight (1-4) + service tier (tier 1: 3 … tier 4: 0) + change risk (0-3) +
    recurrence (the most of the beneficiary's, team's and service's bypasses of this gate in
    90 days: 0, 1-2, 3-5, 6+ → 0-3). ≤3 low, ≤6 medium, ≤8 high, above critical."""
    tier = TIER_POINTS.get(service_tier or 0, 0)
    change = CHANGE_RISK_POINTS.get(change_risk or "", 0)
    most = max(recurrence.values(), default=0)
    again = recurrence_points(most)
    score = gate_weight + tier + change + again
    if score <= 3:
        risk_class = RiskClass.LOW
    elif score <= 6:
        risk_class = RiskClass.MEDIUM
    elif score <= 8:
        risk_class = RiskClass.HIGH
    else:
        risk_class = RiskClass.CRITICAL
    return Risk(
        score=score,
        risk_class=str(risk_class),
        inputs={
            "gate_weight": gate_weight,
            "service_tier": service_tier,
            "service_tier_points": tier,
            "change_risk": change_risk,
            "change_risk_points": change,
            "recurrence": dict(recurrence),
            "recurrence_points": again,
        },
    )


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def recurrence_text(recurrence: Mapping[str, int]) -> str:
    """ "3rd bypass of this gate for this service in 90 days" — counting this one."""
    if not recurrence:
        return "First bypass of this gate in 90 days."
    label, count = max(recurrence.items(), key=lambda kv: (kv[1], kv[0] == "service"))
    if count == 0:
        return "First bypass of this gate for this beneficiary, team or service in 90 days."
    return f"{ordinal(count + 1)} bypass of this gate for this {label} in 90 days."


# --- separation of duties ------------------------------------------------------------------
@dataclass(frozen=True)
class Parties:
    """Who is involved, and the management chains (ids of managers, nearest first)."""

    requester_id: int
    beneficiary_id: int
    implementer_id: int | None = None
    assignee_id: int | None = None
    requester_chain: tuple[int, ...] = ()
    beneficiary_chain: tuple[int, ...] = ()


def sod_exclusions(
    candidate_id: int, candidate_chain: Iterable[int], parties: Parties
) -> list[str]:
    """Why this person may not approve (empty: they may)."""
    reasons = []
    if candidate_id == parties.requester_id:
        reasons.append("is the requester")
    if candidate_id == parties.beneficiary_id:
        reasons.append("is the beneficiary")
    if parties.implementer_id is not None and candidate_id == parties.implementer_id:
        reasons.append("is the implementer")
    if parties.assignee_id is not None and candidate_id == parties.assignee_id:
        reasons.append("is the assignee of the subject")
    chain = set(candidate_chain)
    if parties.requester_id in chain and candidate_id != parties.requester_id:
        reasons.append("reports to the requester")
    if parties.beneficiary_id in chain and candidate_id != parties.beneficiary_id:
        reasons.append("reports to the beneficiary")
    return reasons


def independent(candidate_id: int, candidate_chain: Iterable[int], parties: Parties) -> bool:
    """Outside the beneficiary's management line: neither above nor below them."""
    above = candidate_id in parties.beneficiary_chain
    below = parties.beneficiary_id in set(candidate_chain)
    return not above and not below


# --- quorum ---------------------------------------------------------------------------------
APPROVED = "approved"
REJECTED = "rejected"
PENDING = "pending"


def leaves(rule: Mapping[str, Any]) -> list[dict[str, Any]]:
    if "group" in rule:
        return [dict(rule)]
    children = rule.get("all") or rule.get("any") or rule.get("of") or []
    return [leaf for child in children for leaf in leaves(child)]


def validate_rule(rule: Any, depth: int = 0) -> None:
    """A rule is well formed, or ``ValueError`` saying what is wrong."""
    if depth > 5 or not isinstance(rule, Mapping):
        raise ValueError("A rule is a JSON object, at most 5 levels deep.")
    if "group" in rule:
        if not isinstance(rule["group"], str) or not rule["group"]:
            raise ValueError("A leaf names a group.")
        required = rule.get("required", 1)
        if not isinstance(required, int) or not 1 <= required <= 10:
            raise ValueError("A leaf requires 1 to 10 approvals.")
        return
    keys = [k for k in ("all", "any", "of") if k in rule]
    if len(keys) != 1 or not isinstance(rule[keys[0]], list) or not rule[keys[0]]:
        raise ValueError("A rule node has one non-empty list: all, any, or n_of with of.")
    if keys[0] == "of":
        k = rule.get("n_of")
        if not isinstance(k, int) or not 1 <= k <= len(rule["of"]):
            raise ValueError("n_of is between 1 and the number of its children.")
    for child in rule[keys[0]]:
        validate_rule(child, depth + 1)


def substitute_owner(rule: Mapping[str, Any], owner: str) -> dict[str, Any]:
    if "group" in rule:
        return {**rule, "group": owner if rule["group"] == "@owner" else rule["group"]}
    out = dict(rule)
    for key in ("all", "any", "of"):
        if key in rule:
            out[key] = [substitute_owner(child, owner) for child in rule[key]]
    return out


@dataclass
class Plan:
    """A frozen approval plan: the rule, each group's eligible members after exclusions, who
    was excluded and why, whether an independent approver is needed and who is one."""

    rule: dict[str, Any]
    eligible: dict[str, list[int]]
    excluded: list[dict[str, Any]] = field(default_factory=list)
    needs_independent: bool = False
    independent_ids: list[int] = field(default_factory=list)
    fallback: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "eligible": self.eligible,
            "excluded": self.excluded,
            "needs_independent": self.needs_independent,
            "independent_ids": self.independent_ids,
            "fallback": self.fallback,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Plan":
        return cls(
            rule=dict(data.get("rule") or {}),
            eligible={k: list(v) for k, v in (data.get("eligible") or {}).items()},
            excluded=list(data.get("excluded") or []),
            needs_independent=bool(data.get("needs_independent")),
            independent_ids=list(data.get("independent_ids") or []),
            fallback=bool(data.get("fallback")),
        )

    @property
    def approver_ids(self) -> set[int]:
        return {pk for members in self.eligible.values() for pk in members}


def resolve_plan(
    *,
    rule: Mapping[str, Any],
    members: Mapping[str, Iterable[int]],
    chains: Mapping[int, Iterable[int]],
    parties: Parties,
    risk_class: str,
    names: Mapping[int, str] | None = None,
) -> Plan:
    """Apply separation of duties to the rule's groups. ``members`` maps each group to its
    active members, ``chains`` each person to their managers."""
    names = names or {}
    eligible: dict[str, list[int]] = {}
    excluded: dict[int, dict[str, Any]] = {}
    for leaf in leaves(rule):
        group = leaf["group"]
        keep = []
        for pk in sorted(set(members.get(group, ()))):
            why = sod_exclusions(pk, chains.get(pk, ()), parties)
            if why:
                excluded.setdefault(
                    pk, {"user_id": pk, "name": names.get(pk, str(pk)), "reasons": why}
                )
            else:
                keep.append(pk)
        eligible[group] = keep
    plan = Plan(rule=dict(rule), eligible=eligible, excluded=list(excluded.values()))
    if risk_class in HIGH_RISK:
        plan.needs_independent = True
        plan.independent_ids = sorted(
            pk for pk in plan.approver_ids if independent(pk, chains.get(pk, ()), parties)
        )
    return plan


def reachable(plan: Plan) -> bool:
    """Whether approval is still possible with nobody having voted yet."""
    return evaluate(plan, {}) != REJECTED


def evaluate(plan: Plan, votes: Mapping[int, str]) -> str:
    """APPROVED / REJECTED / PENDING for the votes so far (person → "approve" | "reject").
    Each person counts once: their approval goes to the first leaf (in rule order) that
    still needs it. Settles as soon as the outcome is certain either way."""
    approvals = sorted(pk for pk, v in votes.items() if v == "approve")
    rejections = {pk for pk, v in votes.items() if v == "reject"}
    used: set[int] = set()
    counted: list[int] = []

    def leaf_state(leaf: Mapping[str, Any]) -> str:
        group = leaf["group"]
        eligible = plan.eligible.get(group, [])
        required = int(leaf.get("required", 1))
        deny = int(leaf.get("deny", 1))
        got = 0
        for pk in approvals:
            if got >= required:
                break
            if pk in eligible and pk not in used:
                used.add(pk)
                counted.append(pk)
                got += 1
        denied = sum(1 for pk in eligible if pk in rejections)
        if got >= required:
            return APPROVED
        if denied >= deny:
            return REJECTED
        still_possible = [pk for pk in eligible if pk not in rejections and pk not in used]
        if got + len(still_possible) < required:
            return REJECTED
        return PENDING

    def node_state(node: Mapping[str, Any]) -> str:
        if "group" in node:
            return leaf_state(node)
        if "all" in node:
            states = [node_state(child) for child in node["all"]]
            if REJECTED in states:
                return REJECTED
            return APPROVED if all(s == APPROVED for s in states) else PENDING
        if "any" in node:
            states = [node_state(child) for child in node["any"]]
            if APPROVED in states:
                return APPROVED
            return REJECTED if all(s == REJECTED for s in states) else PENDING
        k = int(node.get("n_of", 1))
        states = [node_state(child) for child in node.get("of", [])]
        if states.count(APPROVED) >= k:
            return APPROVED
        if len(states) - states.count(REJECTED) < k:
            return REJECTED
        return PENDING

    outcome = node_state(plan.rule)
    if plan.needs_independent:
        independent_ids = set(plan.independent_ids)
        if not independent_ids:
            return REJECTED
        voted_independent = {pk for pk in approvals if pk in independent_ids}
        if outcome == APPROVED and not voted_independent:
            open_independent = independent_ids - rejections - set(votes)
            return PENDING if open_independent else REJECTED
    return outcome
