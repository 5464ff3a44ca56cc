"""The incident and problem lifecycles as data: action, from-states, to-state, named guards.

new ─assign→ assigned ─start→ in progress ⇄ pending
  │              │                │  (pend / resume)
  └──────────────┴── resolve ─────┴──→ resolved ─close→ closed
                                          └─reopen (within the window)→ assigned
cancel: from any open state
"""

from servicedesk.transitions import StateMachine, Transition

from . import guards as g
from .choices import IncidentStatus as S
from .choices import ProblemStatus as P

OPEN = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING})

INCIDENT = StateMachine(
    "incident",
    [
        Transition(
            "assign",
            frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS}),
            S.ASSIGNED,
            (g.assignment_given, g.unassigned_when_taking, g.may_work, g.assignee_in_team),
            "assign",
        ),
        Transition("start", frozenset({S.ASSIGNED}), S.IN_PROGRESS, (g.may_work,), "start"),
        Transition(
            "pend",
            frozenset({S.IN_PROGRESS}),
            S.PENDING,
            (g.may_work, g.pending_reason_given),
            "put on hold",
        ),
        Transition("resume", frozenset({S.PENDING}), S.IN_PROGRESS, (g.may_work,), "resume"),
        Transition(
            "resolve",
            frozenset({S.ASSIGNED, S.IN_PROGRESS, S.PENDING}),
            S.RESOLVED,
            (g.may_work, g.resolution_given),
            "resolve",
        ),
        Transition(
            "close",
            frozenset({S.RESOLVED}),
            S.CLOSED,
            (g.closure_confirmed_by_requester,),
            "close",
        ),
        Transition(
            "reopen",
            frozenset({S.RESOLVED}),
            S.ASSIGNED,
            (g.may_act_as_party_or_worker, g.reason_given, g.within_reopen_window),
            "reopen",
        ),
        Transition(
            "cancel",
            OPEN,
            S.CANCELLED,
            (g.may_act_as_party_or_worker, g.reason_given),
            "cancel",
        ),
    ],
    labels=dict(S.choices),
)

PROBLEM = StateMachine(
    "problem",
    [
        Transition(
            "investigate",
            frozenset({P.NEW}),
            P.INVESTIGATING,
            (g.may_manage_problem,),
            "start investigating",
        ),
        Transition(
            "mark_known_error",
            frozenset({P.NEW, P.INVESTIGATING}),
            P.KNOWN_ERROR,
            (g.may_manage_problem, g.root_cause_or_workaround),
            "mark as known error",
        ),
        Transition(
            "resolve",
            frozenset({P.INVESTIGATING, P.KNOWN_ERROR}),
            P.RESOLVED,
            (g.may_manage_problem, g.permanent_fix_given),
            "resolve",
        ),
        Transition("close", frozenset({P.RESOLVED}), P.CLOSED, (g.may_manage_problem,), "close"),
    ],
    labels=dict(P.choices),
)
