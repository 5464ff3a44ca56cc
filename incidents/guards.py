"""Named guards on incident and problem transitions. Each incident guard is a gate named by the
id of the process step it enforces (``gate``), declared to the bypass registry in ``gates``; a
refusal's code carries that id (``guard_failed.<id>`` or the permission id itself), so pages and
the API say which gate blocked and offer a bypass. Guards read; they never write."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from servicedesk.errors import Conflict, GuardFailed, PermissionDenied
from servicedesk.transitions import gate

from . import access
from .choices import OPEN_STATUSES, PendingReason, ResolutionCode


@dataclass
class Ctx:
    """What a guard may look at: the locked row, the actor, the action's input and the time."""

    obj: Any
    actor: Any
    now: datetime
    data: dict[str, Any] = field(default_factory=dict)
    automatic: bool = False


# --- permission guards (403) ---------------------------------------------------------------
@gate("incident.permission.work")
def may_work(ctx: Ctx) -> None:
    """incident.permission.work"""
    if ctx.automatic or access.works_on(ctx.actor, ctx.obj):
        return
    raise PermissionDenied(
        "Only the assignee, the incident's team, its lead or an admin may do this.",
        code="incident.permission.work",
    )


@gate("incident.permission.party_or_work")
def may_act_as_party_or_worker(ctx: Ctx) -> None:
    """incident.permission.party_or_work"""
    if access.is_party(ctx.actor, ctx.obj) or access.works_on(ctx.actor, ctx.obj):
        return
    raise PermissionDenied(
        "Only the requester or someone working the incident may do this.",
        code="incident.permission.party_or_work",
    )


@gate("incident.permission.party_or_agent")
def may_act_as_party_or_agent(ctx: Ctx) -> None:
    """incident.permission.party_or_agent"""
    if access.is_party(ctx.actor, ctx.obj) or access.is_agent(ctx.actor):
        return
    raise PermissionDenied(
        "Only the requester or an analyst may do this.", code="incident.permission.party_or_agent"
    )


@gate("incident.closure.customer_confirmation")
def closure_confirmed_by_requester(ctx: Ctx) -> None:
    """incident.closure.customer_confirmation — the requester confirms, or the automatic sweep
    closes after the confirmation period."""
    if ctx.automatic or access.is_party(ctx.actor, ctx.obj):
        return
    raise PermissionDenied(
        "An incident is closed when its requester confirms the fix (or automatically after "
        f"{settings.INCIDENT_AUTO_CLOSE_DAYS} days).",
        code="incident.closure.customer_confirmation",
    )


# --- state guards (409 / 400) --------------------------------------------------------------
def unassigned_when_taking(ctx: Ctx) -> None:
    """incident.assign.unassigned — taking is first come, first served."""
    incident = ctx.obj
    if ctx.data.get("only_if_unassigned") and incident.assignee_id == ctx.actor.pk:
        raise Conflict(f"{incident.ref} is already yours.", code="incident.assign.already_yours")
    if ctx.data.get("only_if_unassigned") and incident.assignee_id is not None:
        raise Conflict(
            f"{incident.ref} was just taken by {incident.assignee.name}.",
            code="incident.assign.already_taken",
        )


@gate("incident.assign.assignee_in_team")
def assignee_in_team(ctx: Ctx) -> None:
    """incident.assign.assignee_in_team"""
    assignee, team = ctx.data.get("assignee"), ctx.data.get("team")
    if assignee is None or team is None:
        return
    if team.pk not in assignee.team_ids and team.lead_id != assignee.pk:
        raise GuardFailed(
            f"{assignee.name} is not a member of {team.name}; choose one of their teams too.",
            guard="incident.assign.assignee_in_team",
        )


@gate("incident.assign.assignee_is_analyst")
def assignee_is_analyst(ctx: Ctx) -> None:
    """incident.assign.assignee_is_analyst — work goes to analysts (members or leads of a
    team), never to a plain requester."""
    assignee = ctx.data.get("assignee")
    if assignee is None or assignee.team_ids or assignee.led_team_ids:
        return
    raise GuardFailed(
        f"{assignee.name} is not an analyst: incidents are assigned to members or leads of a team.",
        guard="incident.assign.assignee_is_analyst",
    )


@gate("incident.assign.target_required")
def assignment_given(ctx: Ctx) -> None:
    """incident.assign.target_required"""
    if not ctx.data.get("requested"):
        raise GuardFailed(
            "Choose a team, an assignee, or both.", guard="incident.assign.target_required"
        )


@gate("incident.pend.reason_required")
def pending_reason_given(ctx: Ctx) -> None:
    """incident.pend.reason_required"""
    if ctx.data.get("reason") not in PendingReason.values:
        raise GuardFailed(
            "Say what the incident is waiting on: "
            + ", ".join(f"{v} ({label})" for v, label in PendingReason.choices)
            + ".",
            guard="incident.pend.reason_required",
        )


@gate("incident.resolution.code_and_notes_required")
def resolution_given(ctx: Ctx) -> None:
    """incident.resolution.code_and_notes_required"""
    if ctx.data.get("code") not in ResolutionCode.values or not ctx.data.get("notes", "").strip():
        raise GuardFailed(
            "A resolution needs a resolution code and notes the requester can read.",
            guard="incident.resolution.code_and_notes_required",
        )


@gate("incident.reopen.window")
def within_reopen_window(ctx: Ctx) -> None:
    """incident.reopen.window"""
    resolved_at = ctx.obj.resolved_at
    window = settings.INCIDENT_REOPEN_WINDOW
    if resolved_at is not None and ctx.now - resolved_at > window:
        raise GuardFailed(
            f"{ctx.obj.ref} was resolved more than {window.days} days ago; report a new "
            "incident instead.",
            guard="incident.reopen.window",
        )


@gate("incident.reason_required")
def reason_given(ctx: Ctx) -> None:
    """incident.reason_required (reopen, cancel)"""
    if not ctx.data.get("reason", "").strip():
        raise GuardFailed("Give a reason.", guard="incident.reason_required")


@gate("incident.merge.target")
def merge_target_valid(ctx: Ctx) -> None:
    """incident.merge.target — a duplicate goes into another open incident, never itself."""
    duplicate, kept = ctx.obj, ctx.data.get("into")
    if kept is None:
        raise GuardFailed("Choose the ticket to keep.", guard="incident.merge.target")
    if kept.pk == duplicate.pk:
        raise GuardFailed(
            f"{duplicate.ref} cannot be merged into itself.", guard="incident.merge.target"
        )
    if kept.status not in OPEN_STATUSES:
        raise GuardFailed(
            f"{kept.ref} is {kept.get_status_display().lower()}; merge into an open ticket.",
            guard="incident.merge.target",
        )


@gate("bypass.obligations.open")
def bypass_obligations_done(ctx: Ctx) -> None:
    """bypass.obligations.open — a deferred or added step left by a used bypass is done
    before the incident is resolved or closed (never bypassable). It runs first, so a step
    deferred by this very transition blocks the next one, not this one."""
    from bypass.obligations import refuse_if_open

    refuse_if_open(ctx.obj)


# --- problems -------------------------------------------------------------------------------
def may_manage_problem(ctx: Ctx) -> None:
    """problem.permission.manage — analysts, managers and admins run problem management."""
    if not access.is_agent(ctx.actor):
        raise PermissionDenied(
            "Only analysts and managers manage problems.", code="problem.permission.manage"
        )


def root_cause_or_workaround(ctx: Ctx) -> None:
    """problem.known_error.root_cause_required"""
    problem = ctx.obj
    if not (ctx.data.get("root_cause") or problem.root_cause).strip():
        raise GuardFailed(
            "A known error needs its root cause recorded.", guard="known_error_root_cause"
        )


def permanent_fix_given(ctx: Ctx) -> None:
    """problem.resolve.permanent_fix_required"""
    if not (ctx.data.get("permanent_fix") or ctx.obj.permanent_fix).strip():
        raise GuardFailed(
            "Describe the permanent fix before resolving the problem.", guard="permanent_fix"
        )
