"""The change lifecycle as data: action, from-states, to-state, named guards.

draft ─submit→ submitted ─assess (system)→ assessed ─authorise (quorum)→ authorised ─schedule→
  │                                            └─reject (quorum)→ rejected
  └─submit_standard (active template)──────────────────────────────────→ scheduled
scheduled ─start→ implementing ─complete (outcome)→ implemented ─review (PIR)→ reviewed
  ─close→ closed
revise: an edit after submission (assessed, authorised, scheduled) voids the approvals → submitted
cancel: from any state before implementation
"""

from servicedesk.transitions import StateMachine, Transition

from . import guards as g
from .choices import CANCELLABLE_STATUSES, REVISABLE_STATUSES
from .choices import ChangeStatus as S

SUBMIT_GUARDS = (
    g.model_selection,
    g.backout_plan_given,
    g.test_evidence_given,
    g.risk_assessed,
    g.lead_time_respected,
)
SCHEDULE_GUARDS = (g.window_given, g.outside_freeze, g.no_conflict)

CHANGE = StateMachine(
    "change",
    [
        Transition(
            "submit",
            frozenset({S.DRAFT}),
            S.SUBMITTED,
            checks=(g.may_edit,),
            guards=SUBMIT_GUARDS,
            label="submit",
        ),
        Transition(
            "submit_standard",
            frozenset({S.DRAFT}),
            S.SCHEDULED,
            checks=(g.may_edit,),
            guards=(
                g.model_selection,
                g.backout_plan_given,
                g.test_evidence_given,
                *SCHEDULE_GUARDS,
            ),
            label="schedule a standard change",
        ),
        Transition(
            "assess",
            frozenset({S.SUBMITTED}),
            S.ASSESSED,
            checks=(g.by_the_system,),
            guards=(g.risk_assessed, g.routed),
            label="assess",
        ),
        Transition(
            "authorise",
            frozenset({S.ASSESSED}),
            S.AUTHORISED,
            checks=(g.by_the_system,),
            guards=(g.peer_reviewed, g.authorities_approved),
            label="authorise",
        ),
        Transition(
            "reject",
            frozenset({S.ASSESSED}),
            S.REJECTED,
            checks=(g.by_the_system,),
            label="reject",
        ),
        Transition(
            "revise",
            frozenset(REVISABLE_STATUSES),
            S.SUBMITTED,
            checks=(g.may_edit,),
            guards=SUBMIT_GUARDS,
            label="revise",
        ),
        Transition(
            "schedule",
            frozenset({S.AUTHORISED}),
            S.SCHEDULED,
            checks=(g.may_edit,),
            guards=SCHEDULE_GUARDS,
            label="schedule",
        ),
        Transition(
            "start",
            frozenset({S.SCHEDULED}),
            S.IMPLEMENTING,
            checks=(g.may_implement,),
            guards=(g.inside_window,),
            label="start implementing",
        ),
        Transition(
            "complete",
            frozenset({S.IMPLEMENTING}),
            S.IMPLEMENTED,
            checks=(g.may_implement,),
            guards=(g.outcome_given,),
            label="complete",
        ),
        Transition(
            "review",
            frozenset({S.IMPLEMENTED}),
            S.REVIEWED,
            checks=(g.may_manage,),
            guards=(g.pir_recorded,),
            label="review",
        ),
        Transition(
            "close",
            frozenset({S.REVIEWED}),
            S.CLOSED,
            checks=(g.may_manage,),
            guards=(g.bypass_obligations_done, g.backout_plan_given, g.test_evidence_given),
            label="close",
        ),
        Transition(
            "cancel",
            frozenset(CANCELLABLE_STATUSES),
            S.CANCELLED,
            checks=(g.may_edit,),
            guards=(g.reason_given,),
            label="cancel",
        ),
    ],
    labels=dict(S.choices),
)
