"""Quorum: whether an authority's decisions settle a change. A pure function over counts,
evaluated after every decision; it settles as soon as the outcome is certain."""

from dataclasses import dataclass
from enum import StrEnum

from .choices import DecisionRule


class Outcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Tally:
    eligible: int  # members who may decide (not the requester, not the implementer)
    approvals: int
    rejections: int


def needed(rule: str, required: int, eligible: int) -> int:
    """How many approvals settle it."""
    if rule == DecisionRule.ANY:
        return 1
    if rule == DecisionRule.ALL:
        return eligible
    return required


def evaluate(rule: str, required: int, tally: Tally) -> Outcome:
    """``any``: the first decision settles it, either way. ``all``: every eligible member must
    approve; one rejection settles it. ``n_of_m``: n approvals approve; rejected as soon as the
    approvals still possible cannot reach n."""
    if rule not in DecisionRule.values:
        raise ValueError(f"unknown decision rule {rule!r}")
    if tally.eligible <= 0:
        return Outcome.PENDING
    if rule == DecisionRule.ANY:
        if tally.approvals:
            return Outcome.APPROVED
        return Outcome.REJECTED if tally.rejections else Outcome.PENDING
    need = needed(rule, required, tally.eligible)
    if tally.approvals >= need:
        return Outcome.APPROVED
    undecided = max(tally.eligible - tally.approvals - tally.rejections, 0)
    if tally.approvals + undecided < need:
        return Outcome.REJECTED
    return Outcome.PENDING


def reachable(rule: str, required: int, eligible: int) -> bool:
    """Whether the authority can approve at all with this many eligible members."""
    return eligible >= 1 and needed(rule, required, eligible) <= eligible
