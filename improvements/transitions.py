"""The improvement lifecycle as data.

suggested ─accept→ accepted ─start→ in progress ─complete→ done
    │                 │  └──────complete──────────┘
    └──── decline (a reason is required) ──┴──→ declined
"""

from servicedesk.transitions import StateMachine, Transition

from . import guards as g
from .choices import Status as S

IMPROVEMENT = StateMachine(
    "improvement",
    [
        Transition(
            "accept", frozenset({S.SUGGESTED}), S.ACCEPTED, checks=(g.may_decide,), label="accept"
        ),
        Transition(
            "start", frozenset({S.ACCEPTED}), S.IN_PROGRESS, checks=(g.may_decide,), label="start"
        ),
        Transition(
            "complete",
            frozenset({S.ACCEPTED, S.IN_PROGRESS}),
            S.DONE,
            checks=(g.may_decide,),
            label="mark done",
        ),
        Transition(
            "decline",
            frozenset({S.SUGGESTED, S.ACCEPTED, S.IN_PROGRESS}),
            S.DECLINED,
            checks=(g.may_decide,),
            guards=(g.reason_given,),
            label="decline",
        ),
    ],
    labels=dict(S.choices),
)
