"""The bypass request lifecycle as data.

draft ─submit→ submitted ─route (system)→ in_review ⇄ awaiting_requester (request_info/respond)
in_review ─approve (quorum)→ approved ─activate (valid_from)→ active ─consume (last use)→ consumed
          ─reject (a reasoned rejection, or quorum unreachable)→ rejected
submitted/in_review/awaiting_requester ─edit (scope changed: approvals void)→ submitted
pending or approved ─lapse (no decision in time / never used)→ lapsed   (never approved by timeout)
draft/pending ─withdraw→ withdrawn;  approved/active ─revoke→ revoked;  active ─expire→ expired
ended ─close→ closed (issue 13 puts a review before closing)
"""

from servicedesk.transitions import StateMachine, Transition

from .choices import ENDED_STATES, PENDING_STATES
from .choices import State as S

BYPASS = StateMachine(
    "bypass request",
    [
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, label="submit"),
        Transition("route", frozenset({S.SUBMITTED}), S.IN_REVIEW, label="route"),
        Transition(
            "request_info",
            frozenset({S.IN_REVIEW}),
            S.AWAITING_REQUESTER,
            label="ask for information on",
        ),
        Transition("respond", frozenset({S.AWAITING_REQUESTER}), S.IN_REVIEW, label="answer"),
        Transition("edit", frozenset(PENDING_STATES), S.SUBMITTED, label="edit"),
        Transition("approve", frozenset({S.IN_REVIEW}), S.APPROVED, label="approve"),
        Transition("reject", frozenset({S.IN_REVIEW}), S.REJECTED, label="reject"),
        Transition("lapse", frozenset({*PENDING_STATES, S.APPROVED}), S.LAPSED, label="lapse"),
        Transition(
            "withdraw", frozenset({S.DRAFT, *PENDING_STATES}), S.WITHDRAWN, label="withdraw"
        ),
        Transition("activate", frozenset({S.APPROVED}), S.ACTIVE, label="activate"),
        Transition("consume", frozenset({S.ACTIVE}), S.CONSUMED, label="use"),
        Transition("expire", frozenset({S.ACTIVE}), S.EXPIRED, label="expire"),
        Transition("revoke", frozenset({S.APPROVED, S.ACTIVE}), S.REVOKED, label="revoke"),
        Transition("close", frozenset(ENDED_STATES), S.CLOSED, label="close"),
    ],
    labels=dict(S.choices),
)
