"""Incident creation, triage and every lifecycle transition."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from incidents import access, selectors
from incidents.choices import (
    FINAL_STATUSES,
    ON_BEHALF_CHANNELS,
    OPEN_STATUSES,
    AssignmentSource,
    Channel,
    IncidentStatus,
    PendingReason,
    ResolutionCode,
)
from incidents.guards import Ctx, may_work
from incidents.limits import (
    AFFECTED_USERS_MAX,
    DESCRIPTION_MAX,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
)
from incidents.models import Incident, IncidentComment, Problem
from incidents.priority import compute_priority, expected_resolution
from incidents.search import incident_search_refresh
from incidents.transitions import INCIDENT
from org.models import BusinessService, Team, User
from servicedesk import clock
from servicedesk.errors import (
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.transitions import Transition

from .conversation import incident_attach
from .events import incident_event
from .problems import incident_join_known_error
from .routing import RULES, WATCHED_FIELDS, assignment_gate, rules_team_for, schedule_routing
from .rows import lock_incident as _lock
from .sla import sla_pause_end, sla_pause_start, sla_refresh


@dataclass
class Step:
    """A transition under way: the locked row, the table's transition, who and when."""

    incident: Incident
    transition: Transition
    from_status: str
    actor: User
    now: datetime
    bypasses: list[dict[str, Any]] = field(default_factory=list)


def _begin(
    incident: Incident | int,
    action: str,
    actor: User,
    *,
    data: dict[str, Any] | None = None,
    automatic: bool = False,
    now: datetime | None = None,
) -> Step:
    """Lock the row, check the transition table, pass its gates (each guard through the shared
    gatekeeper: counted, and passed by an approved bypass). Call inside a transaction."""
    locked = _lock(incident)
    transition = INCIDENT.check(locked.status, action)
    now = now or clock.now()
    ctx = Ctx(obj=locked, actor=actor, now=now, data=data or {}, automatic=automatic)
    bypasses = INCIDENT.run_gates(transition, ctx)
    return Step(locked, transition, locked.status, actor, now, bypasses)


def _finish(
    step: Step,
    event_type: str,
    *,
    fields: Iterable[str] = (),
    reason: str = "",
    payload: dict[str, Any] | None = None,
    notify: bool = False,
) -> Incident:
    """Move to the transition's target status, save the changed fields and append the event
    (with the bypasses used, their receipts and what each gate said)."""
    locked = step.incident
    locked.status = step.transition.target
    locked.save(update_fields=[*fields, "status", "updated_at"])
    if step.bypasses:
        payload = {**(payload or {}), "bypasses": step.bypasses}
        reason = " ".join(
            [reason]
            + [
                f"{b['bypass']} bypassed {b['gate']} (receipt #{b['receipt']}): {b['gate_said']}"
                for b in step.bypasses
            ]
        ).strip()
    incident_event(
        locked,
        event_type,
        actor=step.actor,
        from_status=step.from_status,
        to_status=locked.status,
        reason=reason,
        payload=payload,
        notify=notify,
    )
    return locked


def _clean_text(value: str, *, field: str, required: bool, max_length: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{field} is required.", details={field.lower(): ["required"]})
    if len(value) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters.")
    return value


def incident_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    requester: User | None = None,
    channel: str = Channel.PORTAL,
    service: BusinessService | None = None,
    category: Any = None,
    impact: int = 3,
    urgency: int = 3,
    affected_users: int = 1,
    team: Team | None = None,
    is_major: bool = False,
    attachments: Sequence[UploadedFile] = (),
    known_error: Problem | None = None,
) -> Incident:
    """Log an incident (and its files: all of it, or nothing). ``requester`` other than the
    actor is logging on behalf of a caller (analysts only; the actor is recorded as
    ``reported_by``). ``known_error`` is the requester's "this is happening to me too": the
    ticket is linked to that problem and receives its workaround at once."""
    title = _clean_text(title, field="Title", required=True, max_length=TITLE_MAX)
    description = _clean_text(description, field="Description", required=False)
    requester = requester or actor
    agent = access.is_agent(actor)
    if requester.pk != actor.pk and not agent:
        raise PermissionDenied("Only analysts can log an incident on behalf of someone else.")
    if not requester.is_active:
        raise ValidationFailed(
            f"{requester.name} no longer has an active account; log it for someone else.",
            details={"requester_id": ["inactive"]},
        )
    if (team is not None or is_major) and not agent:
        raise PermissionDenied("Only analysts set the team or declare a major incident.")
    if channel not in Channel.values:
        raise ValidationFailed(f"Unknown channel {channel!r}.")
    if channel in ON_BEHALF_CHANNELS and not agent:
        raise PermissionDenied(
            f"Only analysts log calls that came in by {Channel(channel).label.lower()}; "
            "report it yourself without a channel.",
            code="incident.permission.channel",
        )
    if affected_users < 1:
        raise ValidationFailed("At least one user is affected: the requester.")
    _check_affected_users(affected_users)
    priority = compute_priority(impact=impact, urgency=urgency, matrix=selectors.priority_matrix())
    now = clock.now()
    source = AssignmentSource.MANUAL if team is not None else AssignmentSource.NONE
    if team is None and service is not None:
        team = service.owner_team
        source = AssignmentSource.SERVICE
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            description=description,
            requester=requester,
            reported_by=actor,
            channel=channel,
            service=service,
            category=category,
            impact=impact,
            urgency=urgency,
            priority=priority,
            matrix_priority=priority,
            team=team,
            assignment_source=source,
            affected_users=affected_users,
            is_major=is_major,
            created_at=now,
            due_at=expected_resolution(
                opened_at=now, priority=priority, targets=selectors.resolution_targets()
            ),
        )
        incident_event(
            incident,
            "incident.created",
            actor=actor,
            to_status=IncidentStatus.NEW,
            payload={
                "priority": priority,
                "impact": impact,
                "urgency": urgency,
                "team_id": team.pk if team else None,
                "service_id": service.pk if service else None,
                "channel": channel,
                "requester_id": requester.pk,
            },
            notify=True,
        )
        sla_refresh(incident=incident, now=now, actor=actor)
        incident_search_refresh(incident_ids=[incident.pk])
        schedule_routing(incident, cause="created")
        for upload in attachments:
            incident_attach(incident=incident, actor=actor, upload=upload)
        if known_error is not None:
            incident_join_known_error(incident=incident, problem=known_error, actor=actor)
    return incident


def _check_affected_users(value: int) -> None:
    if value > AFFECTED_USERS_MAX:
        raise ValidationFailed(
            f"At most {AFFECTED_USERS_MAX:,} users can be recorded as affected.",
            details={"affected_users": [f"At most {AFFECTED_USERS_MAX}."]},
        )


def incident_triage(
    *,
    incident: Incident,
    actor: User,
    impact: int | None = None,
    urgency: int | None = None,
    category: Any = None,
    service: BusinessService | None = None,
    is_major: bool | None = None,
    affected_users: int | None = None,
) -> Incident:
    """Change what the priority is computed from (and the other triage facts)."""
    with transaction.atomic():
        locked = _lock(incident)
        if locked.status not in OPEN_STATUSES:
            raise TransitionNotAllowed(f"{locked.ref} is no longer open; it cannot be triaged.")
        may_work(Ctx(obj=locked, actor=actor, now=clock.now()))
        changes: dict[str, list[Any]] = {}

        def change(field: str, value: Any, stored: Any = None) -> None:
            old = getattr(locked, field)
            if value is not None and old != value:
                changes[field] = [
                    stored(old) if stored else old,
                    stored(value) if stored else value,
                ]
                setattr(locked, field, value)

        change("impact", impact)
        change("urgency", urgency)
        change("category", category, lambda c: c.pk if c else None)
        change("service", service, lambda s: s.pk if s else None)
        change("is_major", is_major)
        if affected_users is not None and affected_users < 1:
            raise ValidationFailed("At least one user is affected.")
        if affected_users is not None:
            _check_affected_users(affected_users)
        change("affected_users", affected_users)
        matrix = compute_priority(
            impact=locked.impact, urgency=locked.urgency, matrix=selectors.priority_matrix()
        )
        value = priority_gate(locked, actor=actor, computed=matrix)
        priority, source = value.effective, value.source
        if (
            source == "matrix"
            and locked.priority_source != "matrix"
            and matrix == (locked.matrix_priority)
        ):
            priority, source = locked.priority, locked.priority_source  # keep the override
        if matrix != locked.matrix_priority:
            changes["matrix_priority"] = [locked.matrix_priority, matrix]
            locked.matrix_priority = matrix
        if source != locked.priority_source:
            changes["priority_source"] = [locked.priority_source, source]
            locked.priority_source = source
        if priority != locked.priority:
            changes["priority"] = [locked.priority, priority]
            locked.priority = priority
            locked.due_at = expected_resolution(
                opened_at=locked.created_at,
                priority=priority,
                targets=selectors.resolution_targets(),
            )
        if not changes:
            return locked
        fields = [f for f in changes if f != "priority"] + (
            ["priority", "due_at"] if "priority" in changes else []
        )
        locked.save(update_fields=[*fields, "updated_at"])
        event = incident_event(
            locked, "incident.triaged", actor=actor, payload={"changes": changes}
        )
        if {"priority", "service", "category"} & set(changes):
            sla_refresh(incident=locked, actor=actor)
        if WATCHED_FIELDS & set(changes):
            schedule_routing(locked, cause=str(event.pk))
    return locked


def incident_edit(
    *,
    incident: Incident | int,
    actor: User,
    title: str | None = None,
    description: str | None = None,
) -> Incident:
    """Correct what was logged: the title and the description (only the ones given). Whoever
    works the incident may, until it is closed or cancelled; the event keeps old and new."""
    with transaction.atomic():
        locked = _lock(incident)
        may_work(Ctx(obj=locked, actor=actor, now=clock.now()))
        if locked.status in FINAL_STATUSES:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; it can no longer be "
                "edited."
            )
        changes: dict[str, dict[str, str]] = {}
        if title is not None:
            title = _clean_text(title, field="Title", required=True, max_length=TITLE_MAX)
            if title != locked.title:
                changes["title"] = {"old": locked.title, "new": title}
                locked.title = title
        if description is not None:
            description = _clean_text(
                description, field="Description", required=False, max_length=DESCRIPTION_MAX
            )
            if description != locked.description:
                changes["description"] = {"old": locked.description, "new": description}
                locked.description = description
        if not changes:
            return locked
        locked.save(update_fields=[*changes, "updated_at"])
        incident_search_refresh(incident_ids=[locked.pk])
        event = incident_event(locked, "incident.edited", actor=actor, payload={"changes": changes})
        schedule_routing(locked, cause=str(event.pk))
    return locked


def incident_assign(
    *,
    incident: Incident | int,
    actor: User,
    team: Team | None = None,
    assignee: User | None = None,
    only_if_unassigned: bool = False,
) -> Incident:
    """Assign to a team and/or a person. ``only_if_unassigned`` is "take": first one wins,
    everyone after gets a 409."""
    with transaction.atomic():
        current = _lock(incident)
        requested = team is not None or assignee is not None
        if team is None:
            # Keep the incident's team; only an incident without one takes the assignee's.
            team = current.team
            if team is None and assignee is not None:
                team = Team.objects.filter(memberships__user=assignee).order_by("pk").first()

        data = {
            "team": team,
            "assignee": assignee,
            "only_if_unassigned": only_if_unassigned,
            "requested": requested,
        }
        step = _begin(current, "assign", actor, data=data)
        locked = step.incident
        previous = {"team_id": locked.team_id, "assignee_id": locked.assignee_id}
        locked.team = team
        locked.assignee = assignee
        locked.assignment_source = AssignmentSource.MANUAL
        return _finish(
            step,
            "incident.assigned",
            fields=["team", "assignee", "assignment_source"],
            payload={
                "team_id": team.pk if team else None,
                "team": team.name if team else "",
                "assignee_id": assignee.pk if assignee else None,
                "assignee": assignee.name if assignee else "",
                "taken": only_if_unassigned,
                "previous": previous,
            },
            notify=True,
        )


def incident_bulk_assign(
    *,
    incident_ids: Iterable[int],
    actor: User,
    team: Team | None = None,
    assignee: User | None = None,
) -> list[Incident]:
    """All or nothing: one refusal rolls back every assignment in the batch."""
    ids = sorted(set(incident_ids))
    if not ids:
        raise ValidationFailed("Select at least one incident.")
    if len(ids) > 200:
        raise ValidationFailed("Assign at most 200 incidents at once.")
    done = []
    with transaction.atomic():
        found = set(Incident.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationFailed(
                "No such incidents: " + ", ".join(f"INC-{pk:06d}" for pk in missing) + "."
            )
        for pk in ids:  # ascending ids: concurrent batches lock in the same order
            try:
                done.append(incident_assign(incident=pk, actor=actor, team=team, assignee=assignee))
            except (TransitionNotAllowed, PermissionDenied, ValidationFailed) as exc:
                exc.message = f"INC-{pk:06d}: {exc.message} Nothing was assigned."
                raise
    return done


def incident_start(*, incident: Incident, actor: User) -> Incident:
    with transaction.atomic():
        step = _begin(incident, "start", actor)
        if step.incident.assignee_id is None:
            step.incident.assignee = actor
        return _finish(step, "incident.started", fields=["assignee"], notify=True)


def incident_pend(
    *,
    incident: Incident,
    actor: User,
    reason: str,
    note: str = "",
    note_public: bool | None = None,
) -> Incident:
    """Put on hold. The note goes to the requester when ``note_public`` says so; left unsaid,
    it does exactly when the hold waits on the requester (then the note is the question), and
    otherwise it stays an internal note."""
    note = _clean_text(note, field="Note", required=False, max_length=REASON_MAX)
    if note_public is None:
        note_public = reason == PendingReason.REQUESTER
    with transaction.atomic():
        step = _begin(incident, "pend", actor, data={"reason": reason})
        locked = step.incident
        locked.pending_reason = reason
        fields = ["pending_reason"]
        if note and note_public and locked.requester_replied_at is not None:
            locked.requester_replied_at = None
            fields.append("requester_replied_at")
        payload: dict[str, Any] = {"pending_reason": reason, "note_public": bool(note_public)}
        if note and not note_public:
            # The internal note is a comment only analysts read; the one event records both.
            comment = IncidentComment.objects.create(
                incident=locked, author=actor, body=note, is_internal=True
            )
            payload["note_comment_id"] = comment.pk
        done = _finish(
            step,
            "incident.pended",
            fields=fields,
            reason=note if note_public else "",
            payload=payload,
            notify=True,
        )
        sla_pause_start(incident=done, reason=reason, now=step.now)
        sla_refresh(incident=done, now=step.now, actor=actor)
        return done


def incident_resume(*, incident: Incident, actor: User) -> Incident:
    with transaction.atomic():
        step = _begin(incident, "resume", actor)
        previous = step.incident.pending_reason
        step.incident.pending_reason = ""
        done = _finish(
            step,
            "incident.resumed",
            fields=["pending_reason"],
            payload={"pending_reason": previous},
        )
        sla_pause_end(incident=done, now=step.now)
        sla_refresh(incident=done, now=step.now, actor=actor)
        return done


def incident_resolve(*, incident: Incident, actor: User, code: str, notes: str) -> Incident:
    notes = _clean_text(notes, field="Resolution notes", required=False)
    with transaction.atomic():
        step = _begin(incident, "resolve", actor, data={"code": code, "notes": notes})
        locked = step.incident
        locked.resolution_code = code
        locked.resolution_notes = notes
        locked.pending_reason = ""
        locked.resolved_at = step.now
        locked.requester_replied_at = None
        if locked.assignee_id is None:
            locked.assignee = actor
        if locked.first_response_at is None:
            locked.first_response_at = step.now
        done = _finish(
            step,
            "incident.resolved",
            fields=[
                "resolution_code",
                "resolution_notes",
                "pending_reason",
                "resolved_at",
                "assignee",
                "first_response_at",
                "requester_replied_at",
            ],
            reason=notes,
            payload={"resolution_code": code, "resolution_number": locked.reopened_count + 1},
            notify=True,
        )
        sla_pause_end(incident=done, now=step.now)
        sla_refresh(incident=done, now=step.now, actor=actor)
        return done


def incident_close(
    *, incident: Incident | int, actor: User, automatic: bool = False, now: datetime | None = None
) -> Incident:
    with transaction.atomic():
        step = _begin(incident, "close", actor, automatic=automatic, now=now)
        step.incident.closed_at = step.now
        done = _finish(
            step, "incident.closed", fields=["closed_at"], payload={"automatic": automatic}
        )
        sla_refresh(incident=done, now=step.now, actor=actor)
        return done


def _check_reason(reason: str) -> None:
    if len((reason or "").strip()) > REASON_MAX:
        raise ValidationFailed(
            f"A reason has at most {REASON_MAX:,} characters.",
            details={"reason": [f"At most {REASON_MAX} characters."]},
        )


def incident_reopen(*, incident: Incident, actor: User, reason: str) -> Incident:
    _check_reason(reason)
    with transaction.atomic():
        step = _begin(incident, "reopen", actor, data={"reason": reason})
        locked = step.incident
        locked.reopened_count += 1
        locked.resolved_at = None
        locked.resolution_code = ""
        # A reopened incident gets a fresh expected-resolution time from now.
        locked.due_at = expected_resolution(
            opened_at=step.now, priority=locked.priority, targets=selectors.resolution_targets()
        )
        done = _finish(
            step,
            "incident.reopened",
            fields=["due_at", "reopened_count", "resolved_at", "resolution_code"],
            reason=reason.strip(),
            payload={"reopened_count": locked.reopened_count},
            notify=True,
        )
        sla_refresh(incident=done, now=step.now, restart=True, actor=actor)
        return done


def incident_cancel(*, incident: Incident, actor: User, reason: str) -> Incident:
    _check_reason(reason)
    with transaction.atomic():
        step = _begin(incident, "cancel", actor, data={"reason": reason})
        step.incident.closed_at = step.now
        step.incident.requester_replied_at = None
        done = _finish(
            step,
            "incident.cancelled",
            fields=["closed_at", "requester_replied_at"],
            reason=reason.strip(),
            notify=True,
        )
        sla_pause_end(incident=done, now=step.now)
        sla_refresh(incident=done, now=step.now, actor=actor)
        return done


def incident_merge(
    *, incident: Incident | int, into: Incident | int, actor: User, note: str = ""
) -> Incident:
    """Close a duplicate with a link to the ticket that is kept. The duplicate's requester
    becomes a watcher of the kept ticket and is told; both timelines record the merge."""
    note = _clean_text(note, field="Note", required=False, max_length=2000)
    with transaction.atomic():
        pks = sorted(
            {
                incident.pk if isinstance(incident, Incident) else int(incident),
                into.pk if isinstance(into, Incident) else int(into),
            }
        )
        rows = {
            row.pk: row
            for row in Incident.objects.select_for_update(of=("self",)).filter(pk__in=pks)
        }  # both rows, locked in ascending order, before anything is checked
        kept = rows.get(into.pk if isinstance(into, Incident) else int(into))
        if kept is None:
            raise ValidationFailed(
                "No such ticket to merge into.", details={"into_id": ["unknown"]}
            )
        step = _begin(incident, "merge", actor, data={"into": kept})
        duplicate = step.incident
        duplicate.merged_into = kept
        duplicate.resolution_code = ResolutionCode.DUPLICATE
        duplicate.resolution_notes = f"Merged into {kept.ref}: {kept.title}"
        duplicate.pending_reason = ""
        duplicate.closed_at = step.now
        watcher_added = (
            duplicate.requester_id != kept.requester_id
            and not kept.watchers.filter(pk=duplicate.requester_id).exists()
        )
        if watcher_added:
            kept.watchers.add(duplicate.requester_id)
        incident_event(
            kept,
            "incident.merge_received",
            actor=actor,
            internal=True,
            reason=note,
            payload={
                "from_id": duplicate.pk,
                "from": duplicate.ref,
                "requester_id": duplicate.requester_id,
                "watcher_added": watcher_added,
            },
        )
        done = _finish(
            step,
            "incident.merged",
            fields=[
                "merged_into",
                "resolution_code",
                "resolution_notes",
                "pending_reason",
                "closed_at",
            ],
            reason=note,
            payload={"into_id": kept.pk, "into": kept.ref, "into_title": kept.title},
            notify=True,
        )
        sla_pause_end(incident=done, now=step.now)
        sla_refresh(incident=done, now=step.now, actor=actor)
        return done


PRIORITY_GATE = "incident.triage.priority_matrix"
QUEUE_GATE = "incident.queue.order"
QUEUE_RANK_MAX = 9


def priority_gate(incident: Incident, *, actor: Any, computed: int) -> Any:
    """The priority is a value gate: the matrix computes it, an active OVERRIDE bypass may
    replace it (consumed here, recorded in the bypass ledger with the matrix value)."""
    from bypass.engine import Subject, gate_value

    value = gate_value(
        gate_id=PRIORITY_GATE, subject=Subject.of(incident), actor=actor, computed=computed
    )
    if value.source != "matrix":
        try:
            effective = int(value.effective)
        except (TypeError, ValueError):
            effective = computed
        if not 1 <= effective <= 4:
            effective = computed
        return type(value)(computed, effective, value.source, value.request, value.use)
    return value


def incident_apply_value_gates(*, incident: Incident | int, actor: User) -> Incident:
    """Re-evaluate the value gates of an open incident (called when a bypass covering it
    becomes active): an OVERRIDE of the priority is applied now, both priorities are kept."""
    with transaction.atomic():
        locked = _lock(incident)
        if locked.status in FINAL_STATUSES:
            return locked
        _apply_assignment_override(locked, actor=actor)
        _apply_queue_override(locked, actor=actor)
        matrix = locked.matrix_priority or locked.priority
        value = priority_gate(locked, actor=actor, computed=matrix)
        if value.source == "matrix":
            return locked
        old = locked.priority
        locked.priority = value.effective
        locked.priority_source = value.source
        locked.matrix_priority = matrix
        locked.due_at = expected_resolution(
            opened_at=locked.created_at,
            priority=locked.priority,
            targets=selectors.resolution_targets(),
        )
        locked.save(
            update_fields=["priority", "priority_source", "matrix_priority", "due_at", "updated_at"]
        )
        sla_refresh(incident=locked, actor=actor)  # the policy and targets follow the priority
        incident_event(
            locked,
            "incident.priority_overridden",
            actor=actor,
            payload={
                "matrix_priority": matrix,
                "priority": [old, locked.priority],
                "source": value.source,
                "receipt": value.use.ledger_seq if value.use else None,
            },
        )
    return locked


def queue_gate(incident: Incident, *, actor: Any) -> Any:
    """The queue position is a value gate: the normal order computes rank 0, an active
    OVERRIDE bypass may move the ticket ahead (rank 1 to 9; any other value counts as 1),
    consumed here and recorded in the bypass ledger with the normal value."""
    from bypass.engine import Subject, gate_value

    value = gate_value(
        gate_id=QUEUE_GATE, subject=Subject.of(incident), actor=actor, computed=0, source="order"
    )
    if value.source == "order":
        return value
    try:
        effective = int(value.effective)
    except (TypeError, ValueError):
        effective = 1
    effective = effective if 1 <= effective <= QUEUE_RANK_MAX else 1
    return type(value)(0, effective, value.source, value.request, value.use)


def _apply_queue_override(locked: Incident, *, actor: User) -> None:
    """An active OVERRIDE of the queue order moves the ticket ahead in its queues now; the
    incident keeps the source beside the rank (0 is the normal order)."""
    if locked.queue_rank:
        return  # already moved ahead by an earlier bypass
    value = queue_gate(locked, actor=actor)
    if value.source == "order":
        return
    locked.queue_rank, locked.queue_source = value.effective, value.source
    locked.save(update_fields=["queue_rank", "queue_source", "updated_at"])
    incident_event(
        locked,
        "incident.queue_jumped",
        actor=actor,
        internal=True,
        payload={
            "queue_rank": [0, value.effective],
            "source": value.source,
            "receipt": value.use.ledger_seq if value.use else None,
        },
    )


def _apply_assignment_override(locked: Incident, *, actor: User) -> None:
    """An active OVERRIDE of the assignment rules moves the incident to the bypass's team now;
    the incident keeps the rules' team beside the effective one, with the source."""
    computed = rules_team_for(locked)
    value = assignment_gate(locked, actor=actor, computed=computed)
    if value.source == RULES:
        return
    team = Team.objects.filter(pk=value.effective).first()
    if team is None:  # the override named no active team and the rules computed none
        return
    old_team = locked.team
    locked.team = team
    fields = ["team", "rules_team", "team_source", "assignment_source"]
    if locked.assignee_id is not None and locked.assignee_id not in set(
        team.members.values_list("pk", flat=True)
    ) | {team.lead_id}:
        locked.assignee = None
        fields.append("assignee")
    locked.rules_team_id, locked.team_source = computed, value.source
    locked.assignment_source = AssignmentSource.RULE
    locked.save(update_fields=[*fields, "updated_at"])
    receipt = value.use.ledger_seq if value.use else None
    rules_name = old_team.name if old_team and old_team.pk == computed else None
    if rules_name is None and computed is not None:
        rules_name = Team.objects.filter(pk=computed).values_list("name", flat=True).first()
    incident_event(
        locked,
        "incident.assignment_overridden",
        actor=actor,
        reason=(
            f"{value.source} overrode the assignment rules: {team.name} instead of "
            f"{rules_name or 'no team'} (receipt #{receipt})."
        ),
        payload={
            "rules_team_id": computed,
            "team_id": [old_team.pk if old_team else None, team.pk],
            "source": value.source,
            "receipt": receipt,
        },
        notify=True,
    )
