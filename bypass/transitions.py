"""The bypass request lifecycle as data.

draft ─submit→ submitted ─route (system)→ in_review ⇄ awaiting_requester (request_info/respond)
in_review ─approve (quorum)→ approved ─activate (valid_from)→ active ─consume (last use)→ consumed
          ─reject (a reasoned rejection, or quorum unreachable)→ rejected
submitted/in_review/awaiting_requester ─edit (scope changed: approvals void)→ submitted
pending or approved ─lapse (no decision in time / never used)→ lapsed   (never approved by timeout)
draft/pending ─withdraw→ withdrawn;  approved/active ─revoke→ revoked;  active ─expire→ expired
ended and never used ─close→ closed
used and ended ─await_review→ under_review ─review→ closed
submitted ─pre_approve (a standard bypass matches)→ approved

Break-glass ("used now, approved later"):
draft ─break_glass (declared)→ break_glass
break_glass ─stop (TTL ends, last use, revoked)→ awaiting_ratification
break_glass ─stop_ratified (already ratified early)→ under_review
awaiting_ratification ─ratify→ under_review
break_glass/awaiting_ratification ─repudiate→ under_review
"""

from servicedesk.transitions import StateMachine, Transition

from .choices import ENDED_STATES, PENDING_STATES, REVIEWABLE_STATES
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
        Transition("pre_approve", frozenset({S.SUBMITTED}), S.APPROVED, label="pre-approve"),
        Transition(
            "await_review", frozenset(REVIEWABLE_STATES), S.UNDER_REVIEW, label="send to review"
        ),
        Transition(
            "review", frozenset({S.UNDER_REVIEW, *REVIEWABLE_STATES}), S.CLOSED, label="review"
        ),
        Transition("break_glass", frozenset({S.DRAFT}), S.BREAK_GLASS, label="break glass on"),
        Transition("stop", frozenset({S.BREAK_GLASS}), S.AWAITING_RATIFICATION, label="stop"),
        Transition("stop_ratified", frozenset({S.BREAK_GLASS}), S.UNDER_REVIEW, label="stop"),
        Transition("ratify", frozenset({S.AWAITING_RATIFICATION}), S.UNDER_REVIEW, label="ratify"),
        Transition(
            "repudiate",
            frozenset({S.BREAK_GLASS, S.AWAITING_RATIFICATION}),
            S.UNDER_REVIEW,
            label="repudiate",
        ),
    ],
    labels=dict(S.choices),
)
