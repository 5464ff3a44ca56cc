"""The SLA sweep: find incidents whose next breach or escalation level has fallen due through
the index on ``IncidentSla.next_check_at``, a bounded batch at a time, skipping rows another
worker holds; record breaches and apply each escalation level exactly once (the unique
(incident, rule, level) row). Closed incidents have no ``next_check_at``, so the sweep's cost
does not grow with them. Running it twice changes nothing the second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from incidents.choices import EscalationAction
from incidents.escalation import Decision
from incidents.models import Escalation, Incident, IncidentSla
from org.models import Team
from org.services import system_actor
from servicedesk import clock

from .events import incident_event
from .sla import SlaConfig, load_config, sla_refresh

SWEEP_BATCH = 200


@dataclass
class SweepResult:
    checked: int = 0
    escalations: int = 0


def sla_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """One bounded batch of incidents due a look, in one transaction."""
    now = now or clock.now()
    result = SweepResult()
    with transaction.atomic():
        ids = list(
            Incident.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sla__next_check_at__lte=now)
            .order_by("sla__next_check_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return result
        config = load_config()
        bot = system_actor()
        rows = Incident.objects.select_related(
            "service__owner_team__lead", "team__lead", "assignee", "requester"
        ).in_bulk(ids)
        for pk in ids:
            incident = rows[pk]
            result.checked += 1
            result.escalations += _check(incident, config=config, actor=bot, now=now)
    return result


def _check(incident: Incident, *, config: SlaConfig, actor: Any, now: datetime) -> int:
    state = sla_refresh(incident=incident, now=now, config=config, actor=actor)
    context = getattr(state, "escalation_context", None)
    if context is None or not context.due_now:
        return 0
    done = 0
    reshaped = False
    for decision in context.due_now:
        changed = _apply(incident, decision, actor=actor, now=now)
        if changed is None:
            continue
        done += 1
        context.applied.add((decision.rule.id, decision.level.number))
        reshaped = reshaped or bool({"priority", "team"} & set(changed))
    if reshaped:  # another priority may choose another policy: recompute everything
        sla_refresh(incident=incident, now=now, config=config, actor=actor)
    elif done:
        IncidentSla.objects.filter(incident=incident).update(
            next_check_at=context.next_check(config, incident.priority, now)
        )
    return done


def _apply(
    incident: Incident, decision: Decision, *, actor: Any, now: datetime
) -> dict[str, Any] | None:
    """Apply one level once: the unique row is written first, in a savepoint, so a second
    worker (or a rerun after a crash) that gets this far finds it and does nothing."""
    rule, level = decision.rule, decision.level
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                incident=incident,
                rule_id=rule.id,
                level=level.number,
                due_at=decision.due_at,
                applied_at=now,
                actions=list(level.actions),
                applied_by=actor,
            )
    except IntegrityError:
        return None
    changes: dict[str, list[Any]] = {}
    fields: list[str] = []
    notify: list[int] = []
    for action in level.actions:
        if action == EscalationAction.NOTIFY_ASSIGNEE and incident.assignee_id:
            notify.append(incident.assignee_id)
        elif (
            action == EscalationAction.NOTIFY_TEAM_LEAD and incident.team and incident.team.lead_id
        ):
            notify.append(incident.team.lead_id)
        elif action == EscalationAction.NOTIFY_SERVICE_OWNER and incident.service:
            lead = incident.service.owner_team.lead_id
            if lead:
                notify.append(lead)
        elif action == EscalationAction.REASSIGN and rule.next_team_id:
            if incident.team_id != rule.next_team_id:
                team = Team.objects.get(pk=rule.next_team_id)
                changes["team"] = [incident.team_id, team.pk]
                changes["assignee"] = [incident.assignee_id, None]
                incident.team = team
                incident.assignee = None
                fields += ["team", "assignee"]
        elif action == EscalationAction.RAISE_PRIORITY and incident.priority > 1:
            changes["priority"] = [incident.priority, incident.priority - 1]
            incident.priority -= 1
            fields.append("priority")
        elif action == EscalationAction.FLAG_MAJOR and not incident.is_major:
            changes["is_major"] = [False, True]
            incident.is_major = True
            fields.append("is_major")
    if fields:
        incident.save(update_fields=[*fields, "updated_at"])
    notify = list(dict.fromkeys(notify))
    escalation.outcome = {"changes": changes, "notified": notify}
    escalation.save(update_fields=["outcome"])
    what = "response" if rule.clock == "response" else rule.clock
    threshold = (
        f"{level.percent}% of the {what} target"
        if level.percent
        else (f"{level.minutes} business minutes without an update")
    )
    incident_event(
        incident,
        "incident.escalated",
        actor=actor,
        internal=True,
        reason=f"Escalated by rule '{rule.name}', level {level.number}: {threshold}.",
        payload={
            "rule_id": rule.id,
            "rule": rule.name,
            "level": level.number,
            "clock": rule.clock,
            "actions": list(level.actions),
            "changes": changes,
            "notified": notify,
            "escalation_id": escalation.pk,
        },
    )
    if notify:
        from incidents.tasks import escalation_notify_key, incident_escalation_notify_task
        from notifications.dispatch import schedule

        schedule(
            incident_escalation_notify_task,
            escalation.pk,
            key=escalation_notify_key(escalation.pk),
        )
    return changes
