"""Named guards on change transitions. Each guard has a stable id naming a process step (a
bypass request will name the step it waives), an error code and a message a person can act on.
Guards read; they never write. ``GUARDS`` lists them all, for pages, the API and the bypass app.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from servicedesk.errors import Conflict, GuardFailed, PermissionDenied
from servicedesk.transitions import gate

from . import access, risk, schedule
from .choices import ChangeType, Outcome, TemplateStatus, Verdict


@dataclass
class Ctx:
    """What a guard may look at: the locked row, the actor, the action's input and the time."""

    obj: Any
    actor: Any
    now: datetime
    data: dict[str, Any] = field(default_factory=dict)
    automatic: bool = False
    action: str = ""


@dataclass(frozen=True)
class GuardSpec:
    id: str
    step: str
    description: str


GUARDS: dict[str, GuardSpec] = {}


def guard(id: str, step: str, description: str) -> Callable[[Callable[[Ctx], None]], Any]:
    """Register a guard under its stable id; the function carries it as ``guard_id``."""

    def register(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        if id in GUARDS:
            raise ValueError(f"duplicate guard id {id!r}")
        GUARDS[id] = GuardSpec(id, step, description)
        fn.guard_id = id  # type: ignore[attr-defined]
        return fn

    return register


def refuse(id: str, message: str, **details: Any) -> GuardFailed:
    """A refusal by guard ``id``: code ``guard_failed.<id>``, and the step named in details."""
    return GuardFailed(message, guard=id, details={"guard": id, "step": GUARDS[id].step, **details})


def deny(id: str, message: str) -> PermissionDenied:
    return PermissionDenied(message, code=id, details={"guard": id, "step": GUARDS[id].step})


def lead_time(risk_class: str) -> timedelta:
    hours = settings.CHANGE_LEAD_TIME_HOURS.get(risk_class, 0)
    return timedelta(hours=hours)


# --- permission checks (403) ---------------------------------------------------------------
@guard("change.permission.edit", "Requester or owner team", "Who may edit, submit or cancel.")
def may_edit(ctx: Ctx) -> None:
    if ctx.automatic or access.may_edit(ctx.actor, ctx.obj):
        return
    raise deny(
        "change.permission.edit",
        "Only the requester, the owner team or a process owner may do this.",
    )


@guard("change.permission.implement", "Implementer", "Who may implement a change.")
def may_implement(ctx: Ctx) -> None:
    if ctx.automatic or access.may_implement(ctx.actor, ctx.obj):
        return
    raise deny(
        "change.permission.implement",
        "Only the implementer, the owner team or an admin may implement this change.",
    )


@guard("change.permission.manage", "Change management", "Who may review and close a change.")
def may_manage(ctx: Ctx) -> None:
    if ctx.automatic or access.may_manage(ctx.actor, ctx.obj):
        return
    raise deny(
        "change.permission.manage",
        "Only a process owner or the owner team's lead may review or close a change.",
    )


@guard("change.permission.system", "Automatic step", "Steps only the system takes.")
def by_the_system(ctx: Ctx) -> None:
    if not ctx.automatic:
        raise deny(
            "change.permission.system",
            "This step is taken by the system (after submission or a decision), not by hand.",
        )


@guard(
    "change.approval.member",
    "Authority membership",
    "Only members of the authority whose decision is awaited may decide.",
)
def approver_is_member(ctx: Ctx) -> None:
    authority = ctx.data.get("authority")
    if authority is None or ctx.actor.pk not in ctx.data.get("member_ids", ()):
        name = authority.name if authority else "the awaited change authority"
        raise deny(
            "change.approval.member",
            f"Only members of {name} may approve or reject {ctx.obj.ref} now.",
        )


@guard(
    "change.approval.separation_of_duties",
    "Separation of duties",
    "Nobody approves their own change or one they implement.",
)
def separation_of_duties(ctx: Ctx) -> None:
    change = ctx.obj
    if ctx.actor.pk == change.requester_id:
        raise deny(
            "change.approval.separation_of_duties",
            f"You requested {change.ref}; someone else must authorise it.",
        )
    if ctx.actor.pk == change.implementer_id:
        raise deny(
            "change.approval.separation_of_duties",
            f"You are implementing {change.ref}; someone else must authorise it.",
        )


# --- decision input -----------------------------------------------------------------------
@guard("change.approval.once", "One decision each", "A member decides once per revision.")
def not_yet_decided(ctx: Ctx) -> None:
    if ctx.data.get("already_decided"):
        raise Conflict(
            f"You have already decided on this revision of {ctx.obj.ref}.",
            code="change.approval.once",
            details={"guard": "change.approval.once"},
        )


@guard(
    "change.approval.comment_required",
    "Reasoned rejection",
    "A rejection says why, so the requester can fix it.",
)
def rejection_has_comment(ctx: Ctx) -> None:
    if ctx.data.get("verdict") == Verdict.REJECT and not ctx.data.get("comment", "").strip():
        raise refuse(
            "change.approval.comment_required",
            "A rejection needs a comment saying why, so the requester can fix the change.",
        )


# --- the model and the required documentation -------------------------------------------
@guard(
    "change.model.selection",
    "Change model",
    "Standard changes come from an active template within its limits; others follow the "
    "normal or emergency path.",
)
def model_selection(ctx: Ctx) -> None:
    change = ctx.obj
    if change.type == ChangeType.STANDARD:
        if ctx.action not in ("submit_standard", ""):
            raise refuse(
                "change.model.selection",
                "A standard change is pre-authorised by its template and is scheduled directly; "
                "it is not revised or sent for authorisation.",
            )
        template = change.template
        if template is None or template.status != TemplateStatus.ACTIVE:
            state = "missing" if template is None else template.get_status_display().lower()
            raise refuse(
                "change.model.selection",
                f"A standard change needs an active template (this one is {state}); file a "
                "normal change instead.",
            )
        if change.planned_start and change.planned_end:
            duration = change.planned_end - change.planned_start
            if duration > template.max_duration:
                raise refuse(
                    "change.model.selection",
                    f"The template “{template.title}” allows at most "
                    f"{_hours(template.max_duration)}; this change is planned for "
                    f"{_hours(duration)}. Shorten it or file a normal change.",
                )
    elif ctx.action == "submit_standard":
        raise refuse(
            "change.model.selection",
            f"Only standard changes skip authorisation; this is a {change.type} change.",
        )


@guard(
    "change.required.backout_plan",
    "Backout plan",
    "Say how to undo the change (an emergency change may add it by its documentation deadline).",
)
def backout_plan_given(ctx: Ctx) -> None:
    if _deferred(ctx) or ctx.obj.backout_plan.strip():
        return
    raise refuse(
        "change.required.backout_plan",
        "Describe the backout plan: how the change is undone if it goes wrong.",
    )


@guard(
    "change.required.test_evidence",
    "Test evidence",
    "Say how the change was tested (an emergency change may add it by its deadline).",
)
def test_evidence_given(ctx: Ctx) -> None:
    if _deferred(ctx) or ctx.obj.test_plan.strip():
        return
    raise refuse(
        "change.required.test_evidence",
        "Give the test plan and evidence: how the change was tested and how success is checked.",
    )


def _deferred(ctx: Ctx) -> bool:
    """An emergency change's documentation may follow it, until it is closed."""
    return ctx.obj.type == ChangeType.EMERGENCY and ctx.action != "close"


@guard(
    "change.required.risk_assessment",
    "Risk assessment",
    "Every question of the risk questionnaire is answered.",
)
def risk_assessed(ctx: Ctx) -> None:
    change = ctx.obj
    if change.type == ChangeType.STANDARD:
        return  # assessed once, in the template
    missing = risk.missing_answers({q: getattr(change, q) for q in risk.QUESTIONS})
    if missing:
        labels = {
            "impact_if_fails": "impact if it fails",
            "complexity": "complexity",
            "tested": "whether it was tested",
            "backout_tested": "whether the backout was tested",
            "service_tier": "service tier",
        }
        raise refuse(
            "change.required.risk_assessment",
            "Answer the risk questionnaire: " + ", ".join(labels[m] for m in missing) + ".",
            missing=missing,
        )


@guard(
    "change.normal.lead_time",
    "Lead time",
    "A normal change is submitted far enough ahead for its risk class.",
)
def lead_time_respected(ctx: Ctx) -> None:
    change = ctx.obj
    if change.type != ChangeType.NORMAL:
        return
    if change.planned_start is None:
        raise refuse(
            "change.normal.lead_time", "Give the planned start, so the lead time can be checked."
        )
    answers = {q: getattr(change, q) for q in risk.QUESTIONS}
    if risk.missing_answers(answers):
        return  # the risk assessment guard says what is missing
    assessed = risk.assess(answers, settings.CHANGE_RISK_WEIGHTS)
    needed = lead_time(assessed.risk_class)
    if change.planned_start < ctx.now + needed:
        raise refuse(
            "change.normal.lead_time",
            f"A {assessed.risk_class.label.lower()}-risk normal change needs {_hours(needed)} "
            f"of lead time; {change.ref} starts {schedule.when(change.planned_start)}. Plan it "
            f"no earlier than {schedule.when(ctx.now + needed)}, or raise an emergency change.",
            needed_hours=needed.total_seconds() / 3600,
        )


@guard(
    "change.authority.routing",
    "Routing to an authority",
    "The matrix names an authority for the change's category and risk class, with enough "
    "eligible members.",
)
def routed(ctx: Ctx) -> None:
    problem = ctx.data.get("routing_problem")
    if problem:
        raise refuse("change.authority.routing", problem)


# --- authorisation -------------------------------------------------------------------------
@guard(
    "change.normal.peer_review",
    "Peer review",
    "Someone other than the requester and the implementer approved the change.",
)
def peer_reviewed(ctx: Ctx) -> None:
    change = ctx.obj
    approvers = set(ctx.data.get("approver_ids", ()))
    independent = approvers - {change.requester_id, change.implementer_id}
    if not independent:
        raise refuse(
            "change.normal.peer_review",
            f"{change.ref} has no approval from anyone but its requester or implementer.",
        )


@guard(
    "change.normal.cab_authorization",
    "Change authority",
    "Every authority of the change's chain approved the current revision.",
)
def authorities_approved(ctx: Ctx) -> None:
    pending = ctx.data.get("pending_authorities", [])
    if pending:
        raise refuse(
            "change.normal.cab_authorization",
            f"{ctx.obj.ref} still awaits the decision of " + ", ".join(pending) + ".",
            pending=pending,
        )


# --- schedule ------------------------------------------------------------------------------
@guard("change.schedule.window", "Planned window", "The change has a planned start and end.")
def window_given(ctx: Ctx) -> None:
    change = ctx.obj
    if change.planned_start is None or change.planned_end is None:
        raise refuse("change.schedule.window", "Give the planned start and end before scheduling.")
    if change.planned_end <= change.planned_start:
        raise refuse("change.schedule.window", "The planned end must be after the start.")


@guard(
    "change.schedule.freeze",
    "Freeze windows",
    "No change is scheduled into a freeze or blackout window on its services.",
)
def outside_freeze(ctx: Ctx) -> None:
    change = ctx.obj
    if change.planned_start is None or change.planned_end is None:
        return
    freezes = list(
        schedule.freezes_over(
            start=change.planned_start,
            end=change.planned_end,
            service_ids=ctx.data.get("service_ids", ()),
        )
    )
    if freezes:
        parts = []
        for f in freezes:
            scope = ", ".join(s.name for s in f.services.all()) or "all services"
            parts.append(
                f"“{f.name}” ({schedule.when(f.starts_at)} to {schedule.when(f.ends_at)}, "
                f"{scope}): {f.reason}"
            )
        raise refuse(
            "change.schedule.freeze",
            f"{change.ref} cannot be scheduled from {schedule.when(change.planned_start)} to "
            f"{schedule.when(change.planned_end)}: it falls in the freeze window "
            + "; ".join(parts),
            freeze_ids=[f.pk for f in freezes],
        )


@guard(
    "change.schedule.conflict_check",
    "Conflict check",
    "No other scheduled change touches the same service in an overlapping window.",
)
def no_conflict(ctx: Ctx) -> None:
    change = ctx.obj
    if change.planned_start is None or change.planned_end is None:
        return
    clashes = list(
        schedule.conflicts_with(
            start=change.planned_start,
            end=change.planned_end,
            service_ids=ctx.data.get("service_ids", ()),
            exclude_pk=change.pk,
        )
    )
    if clashes:
        raise refuse(
            "change.schedule.conflict_check",
            f"{change.ref} overlaps "
            + "; ".join(
                f"{c.ref} “{c.title}” ({schedule.when(c.planned_start)} to "  # type: ignore[arg-type]
                f"{schedule.when(c.planned_end)})"  # type: ignore[arg-type]
                for c in clashes
            )
            + " on the same service. Move one of them.",
            conflict_ids=[c.pk for c in clashes],
        )


# --- implementation and review -------------------------------------------------------------
@guard(
    "change.implement.window",
    "Implementation window",
    "Work starts inside the planned window (a little early is allowed).",
)
def inside_window(ctx: Ctx) -> None:
    change = ctx.obj
    early = timedelta(minutes=settings.CHANGE_START_EARLY_MINUTES)
    if change.planned_start is None or change.planned_end is None:
        raise refuse("change.implement.window", f"{change.ref} has no planned window.")
    if ctx.now < change.planned_start - early:
        raise refuse(
            "change.implement.window",
            f"{change.ref} is scheduled to start {schedule.when(change.planned_start)}; it may "
            f"not start before then.",
        )
    if ctx.now >= change.planned_end:
        raise refuse(
            "change.implement.window",
            f"{change.ref}'s window ended {schedule.when(change.planned_end)}; reschedule it.",
        )


@guard("change.implement.outcome", "Outcome", "A finished change records its outcome.")
def outcome_given(ctx: Ctx) -> None:
    if ctx.data.get("outcome") not in Outcome.values:
        raise refuse(
            "change.implement.outcome",
            "Record the outcome: "
            + ", ".join(f"{v} ({label})" for v, label in Outcome.choices)
            + ".",
        )


def pir_required(change: Any, *, caused_incidents: bool) -> bool:
    return (
        change.outcome in (Outcome.FAILED, Outcome.BACKED_OUT)
        or change.type == ChangeType.EMERGENCY
        or caused_incidents
    )


@guard(
    "change.review.pir",
    "Post-implementation review",
    "Failed, backed-out and emergency changes, and changes that caused an incident, record "
    "what happened and the lessons.",
)
def pir_recorded(ctx: Ctx) -> None:
    change = ctx.obj
    if not pir_required(change, caused_incidents=ctx.data.get("caused_incidents", False)):
        return
    summary = (ctx.data.get("summary") or change.pir_summary).strip()
    lessons = (ctx.data.get("lessons") or change.pir_lessons).strip()
    if not (summary and lessons):
        raise refuse(
            "change.review.pir",
            f"{change.ref} needs a post-implementation review: record what happened and the "
            "lessons learned.",
        )


@guard("change.reason_required", "Reason", "Cancelling says why.")
def reason_given(ctx: Ctx) -> None:
    if not ctx.data.get("reason", "").strip():
        raise refuse("change.reason_required", "Give a reason.")


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


@gate("bypass.obligations.open")
def bypass_obligations_done(ctx: Ctx) -> None:
    """A deferred or added step left by a used bypass is done before the change is closed
    (the bypass app's gate, never bypassable)."""
    from bypass.obligations import refuse_if_open

    refuse_if_open(ctx.obj)
