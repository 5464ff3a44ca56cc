"""The incident and problem lifecycles as data: action, from-states, to-state, named guards.

new ─assign→ assigned ─start→ in progress ⇄ pending
  │              │                │  (pend / resume)
  └──────────────┴── resolve ─────┴──→ resolved ─close→ closed
                                          └─reopen (within the window)→ assigned
cancel: from any open state
merge: from any open state into another open incident → closed (a duplicate, with a link)
"""

from servicedesk.transitions import StateMachine, Transition

from . import guards as g
from .choices import OPEN_STATUSES
from .choices import IncidentStatus as S
from .choices import ProblemStatus as P

OPEN = frozenset(OPEN_STATUSES)

INCIDENT = StateMachine(
    "incident",
    [
        Transition(
            "assign",
            frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS}),
            S.ASSIGNED,
            checks=(g.may_work,),
            guards=(
                g.assignment_given,
                g.unassigned_when_taking,
                g.assignee_is_analyst,
                g.assignee_in_team,
            ),
            label="assign",
        ),
        Transition(
            "start", frozenset({S.ASSIGNED}), S.IN_PROGRESS, checks=(g.may_work,), label="start"
        ),
        Transition(
            "pend",
            frozenset({S.IN_PROGRESS}),
            S.PENDING,
            checks=(g.may_work,),
            guards=(g.pending_reason_given,),
            label="put on hold",
        ),
        Transition(
            "resume", frozenset({S.PENDING}), S.IN_PROGRESS, checks=(g.may_work,), label="resume"
        ),
        Transition(
            "resolve",
            frozenset({S.ASSIGNED, S.IN_PROGRESS, S.PENDING}),
            S.RESOLVED,
            checks=(g.may_work,),
            guards=(g.bypass_obligations_done, g.resolution_given),
            label="resolve",
        ),
        Transition(
            "close",
            frozenset({S.RESOLVED}),
            S.CLOSED,
            checks=(g.closure_confirmed_by_requester,),
            guards=(g.bypass_obligations_done,),
            label="close",
        ),
        Transition(
            "reopen",
            frozenset({S.RESOLVED}),
            S.ASSIGNED,
            checks=(g.may_act_as_party_or_worker, g.within_reopen_window),
            guards=(g.reason_given,),
            label="reopen",
        ),
        Transition(
            "cancel",
            OPEN,
            S.CANCELLED,
            checks=(g.may_act_as_party_or_worker,),
            guards=(g.reason_given,),
            label="cancel",
        ),
        Transition(
            "merge",
            OPEN,
            S.CLOSED,
            checks=(g.may_work,),
            guards=(g.merge_target_valid,),
            label="merge",
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
            checks=(g.may_manage_problem,),
            label="start investigating",
        ),
        Transition(
            "mark_known_error",
            frozenset({P.NEW, P.INVESTIGATING}),
            P.KNOWN_ERROR,
            checks=(g.may_manage_problem,),
            guards=(g.root_cause_or_workaround,),
            label="mark as known error",
        ),
        Transition(
            "resolve",
            frozenset({P.INVESTIGATING, P.KNOWN_ERROR}),
            P.RESOLVED,
            checks=(g.may_manage_problem,),
            guards=(g.permanent_fix_given,),
            label="resolve",
        ),
        Transition(
            "close",
            frozenset({P.RESOLVED}),
            P.CLOSED,
            checks=(g.may_manage_problem,),
            label="close",
        ),
    ],
    labels=dict(P.choices),
)
