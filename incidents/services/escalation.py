"""The SLA sweep: find incidents whose next breach or escalation level has fallen due through
the index on ``IncidentSla.next_check_at``, a bounded batch at a time, skipping rows another
worker holds; record breaches and apply each escalation level exactly once (the unique
(incident, rule, level) row). Closed incidents have no ``next_check_at``, so the sweep's cost
does not grow with them. Running it twice changes nothing the second time.

Set-wise per batch: the batch and everything it needs (SLA state, pauses, applied levels, last
updates, teams, calendars) is read in a constant number of queries, decisions are taken in
Python by the pure rules (``incidents.sla``, ``incidents.escalation``), and the writes are
bulk: the Escalation rows with ON CONFLICT DO NOTHING (only what was actually inserted is
applied), the events, the incident and SLA rows, the outbox entries. The number of queries of a
batch does not grow with the number of incidents in it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from incidents.choices import EscalationAction
from incidents.escalation import Decision
from incidents.models import Escalation, Incident, IncidentEvent, IncidentSla, SlaPause
from org.business_time import CalendarSpec
from org.models import BusinessCalendar, Team
from org.services import system_actor
from servicedesk import clock

from .events import incident_events_bulk
from .sla import AUTOMATIC_EVENTS, SlaConfig, breach_events, load_config, sla_compute

SWEEP_BATCH = 200

SLA_FIELDS = [
    "policy",
    "policy_name",
    "calendar",
    "response_target",
    "resolution_target",
    "response_due_at",
    "resolution_due_at",
    "response_at_risk_at",
    "resolution_at_risk_at",
    "response_elapsed",
    "resolution_elapsed",
    "responded_at",
    "stopped_at",
    "paused_since",
    "pause_reason",
    "computed_at",
    "response_breached_at",
    "resolution_breached_at",
    "next_check_at",
    "started_at",
]


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
        rows = Incident.objects.select_related("service__owner_team").in_bulk(ids)
        incidents = [rows[pk] for pk in ids]
        _preload_calendars(config, incidents)
        result.checked = len(incidents)
        result.escalations = _sweep_batch(incidents, config=config, actor=bot, now=now)
    return result


def _preload_calendars(config: SlaConfig, incidents: list[Incident]) -> None:
    """Every calendar the batch may need, in one query and its prefetches."""
    wanted = {config.default_calendar_id, *(p.calendar_id for p in config.policies)}
    for incident in incidents:
        service = incident.service
        if service is not None:
            wanted.add(service.calendar_id)
            if service.owner_team_id:
                wanted.add(service.owner_team.calendar_id)
    wanted = {pk for pk in wanted if pk is not None and pk not in config.specs}
    if wanted:
        for calendar in BusinessCalendar.objects.filter(pk__in=wanted).prefetch_related(
            "hours", "holidays"
        ):
            config.specs[calendar.pk] = CalendarSpec.from_calendar(calendar)


def _sweep_batch(incidents: list[Incident], *, config: SlaConfig, actor: Any, now: datetime) -> int:
    ids = [incident.pk for incident in incidents]
    # Locked like ``sla_refresh`` does: a concurrent ``sla_recheck_open`` waits and then wins.
    states = {
        s.incident_id: s
        for s in IncidentSla.objects.select_for_update().filter(incident_id__in=ids)
    }
    pauses: dict[int, list[tuple[datetime, datetime | None, str]]] = defaultdict(list)
    for incident_id, started, ended, reason in SlaPause.objects.filter(
        incident_id__in=ids
    ).values_list("incident_id", "started_at", "ended_at", "reason"):
        pauses[incident_id].append((started, ended, reason))
    applied: dict[int, set[tuple[int, int]]] = defaultdict(set)
    last_updates: dict[int, datetime] = {}
    if config.rules:
        for incident_id, rule_id, level in Escalation.objects.filter(
            incident_id__in=ids
        ).values_list("incident_id", "rule_id", "level"):
            applied[incident_id].add((rule_id, level))
        last_updates = dict(
            IncidentEvent.objects.filter(incident_id__in=ids)
            .exclude(type__in=AUTOMATIC_EVENTS)
            .order_by("incident_id", "-created_at", "-pk")
            .distinct("incident_id")
            .values_list("incident_id", "created_at")
            if connection.vendor == "postgresql"
            else _last_updates_portable(ids)
        )

    def compute(incident: Incident) -> tuple[IncidentSla, list[dict[str, Any]], bool]:
        state = states.get(incident.pk)
        if state is None:
            state = states[incident.pk] = IncidentSla(
                incident=incident, started_at=incident.created_at
            )
        breaches, due_changed = sla_compute(
            incident,
            state,
            pauses=pauses[incident.pk],
            applied=applied[incident.pk],
            last_update=lambda: last_updates.get(incident.pk) or incident.created_at,
            config=config,
            now=now,
        )
        return state, breach_events(state, breaches), due_changed

    # 1. Recompute every incident's clocks; collect the levels due now.
    events: list[tuple[Incident, dict[str, Any]]] = []
    due_changed: set[int] = set()
    wanted: list[tuple[Incident, Decision]] = []
    for incident in incidents:
        state, breach_rows, changed = compute(incident)
        events += [(incident, row) for row in breach_rows]
        if changed:
            due_changed.add(incident.pk)
        context = getattr(state, "escalation_context", None)
        if context is not None:
            wanted += [(incident, decision) for decision in context.due_now]

    # 2. Claim the levels: only the rows actually inserted are applied (exactly once).
    claimed = _claim(wanted, actor=actor, now=now)

    # 3. Apply them in rule order, in Python; recompute what they reshaped.
    teams = Team.objects.in_bulk(
        {d.rule.next_team_id for _i, d in wanted if d.rule.next_team_id is not None}
    )
    leads = _leads(incidents, teams)
    touched: dict[int, set[str]] = defaultdict(set)
    escalation_events: list[tuple[Incident, dict[str, Any]]] = []
    outcomes: dict[int, dict[str, Any]] = {}
    done_by_incident: dict[int, int] = defaultdict(int)
    for incident, decision in wanted:
        key = (incident.pk, decision.rule.id, decision.level.number)
        escalation_id = claimed.get(key)
        if escalation_id is None:
            continue
        changes, fields, notify = _act(incident, decision, teams=teams, leads=leads)
        touched[incident.pk].update(fields)
        outcomes[escalation_id] = {"changes": changes, "notified": notify}
        done_by_incident[incident.pk] += 1
        applied[incident.pk].add((decision.rule.id, decision.level.number))
        escalation_events.append(
            (incident, _escalated_event(decision, changes, notify, escalation_id))
        )
    by_pk = {incident.pk: incident for incident in incidents}
    later_events: list[tuple[Incident, dict[str, Any]]] = []
    for pk in done_by_incident:
        incident = by_pk[pk]
        state = states[pk]
        if {"priority", "team"} & touched[pk]:
            # another priority may choose another policy: recompute everything
            state, breach_rows, changed = compute(incident)
            later_events += [(incident, row) for row in breach_rows]
            if changed:
                due_changed.add(pk)
        else:
            context = state.escalation_context  # type: ignore[attr-defined]
            state.next_check_at = context.next_check(config, incident.priority, now)

    # 4. Write set-wise.
    if outcomes:
        _set_outcomes(outcomes)
    changed_incidents = [by_pk[pk] for pk in ids if touched.get(pk) or pk in due_changed]
    if changed_incidents:
        stamp = clock.now()
        for incident in changed_incidents:
            if touched.get(incident.pk):
                incident.updated_at = stamp
        _update_rows(
            Incident,
            changed_incidents,
            ["priority", "team", "assignee", "is_major", "updated_at", "due_at"],
        )
    saved = [states[pk] for pk in ids if states[pk].pk is not None]
    _update_rows(IncidentSla, saved, SLA_FIELDS)
    for pk in ids:
        if states[pk].pk is None:  # no SLA row yet (not found through the index): rare
            states[pk].save()
    all_events = events + escalation_events + later_events
    if all_events:
        incident_events_bulk(all_events, actor=actor)
    notify_ids = [eid for eid, outcome in outcomes.items() if outcome["notified"]]
    if notify_ids and not clock.is_pinned():
        from incidents.tasks import escalation_notify_key, incident_escalation_notify_task
        from servicedesk import outbox

        outbox.enqueue_many(
            incident_escalation_notify_task,
            [(escalation_notify_key(eid), [eid]) for eid in sorted(notify_ids)],
        )
    return sum(done_by_incident.values())


def _last_updates_portable(ids: list[int]) -> dict[int, datetime]:
    latest: dict[int, datetime] = {}
    for incident_id, created in (
        IncidentEvent.objects.filter(incident_id__in=ids)
        .exclude(type__in=AUTOMATIC_EVENTS)
        .order_by("created_at", "pk")
        .values_list("incident_id", "created_at")
    ):
        latest[incident_id] = created
    return latest


def _claim(
    wanted: list[tuple[Incident, Decision]], *, actor: Any, now: datetime
) -> dict[tuple[int, int, int], int]:
    """Insert the unique (incident, rule, level) rows in one statement, skipping any that exist
    (ON CONFLICT DO NOTHING); returns the ids of the rows this call actually inserted, keyed by
    (incident, rule, level). Only those are applied: exactly once, whoever else got there."""
    if not wanted:
        return {}
    rows = [
        Escalation(
            incident=incident,
            rule_id=decision.rule.id,
            level=decision.level.number,
            due_at=decision.due_at,
            applied_at=now,
            actions=list(decision.level.actions),
            applied_by=actor,
        )
        for incident, decision in wanted
    ]
    if connection.vendor != "postgresql":  # SQLite: no RETURNING with ON CONFLICT in Django
        keys = {(r.incident_id, r.rule_id, r.level) for r in rows}
        before = set(
            Escalation.objects.filter(incident_id__in={k[0] for k in keys}).values_list(
                "incident_id", "rule_id", "level"
            )
        )
        Escalation.objects.bulk_create(rows, ignore_conflicts=True)
        new = keys - before
        return {
            (i, r, lv): pk
            for pk, i, r, lv in Escalation.objects.filter(
                incident_id__in={k[0] for k in new}
            ).values_list("pk", "incident_id", "rule_id", "level")
            if (i, r, lv) in new
        }
    meta = Escalation._meta
    names = ["incident", "rule", "level", "due_at", "applied_at", "actions", "outcome"]
    fields: list[Any] = [meta.get_field(name) for name in [*names, "applied_by"]]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for row in rows:
        params += [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model; every value is a parameter.
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(rows))} "
        "ON CONFLICT (incident_id, rule_id, level) DO NOTHING "
        "RETURNING id, incident_id, rule_id, level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(i, r, lv): pk for pk, i, r, lv in cursor.fetchall()}


def _leads(incidents: list[Incident], teams: dict[int, Team]) -> dict[int, int | None]:
    """Team id → its lead's id, for every team an incident of the batch is or may be in."""
    team_ids = {i.team_id for i in incidents if i.team_id} | set(teams)
    leads: dict[int, int | None] = dict(
        Team.objects.filter(pk__in=team_ids).values_list("pk", "lead_id")
    )
    for incident in incidents:
        service = incident.service
        if service is not None and service.owner_team_id:
            leads[service.owner_team_id] = service.owner_team.lead_id
    return leads


def _act(
    incident: Incident,
    decision: Decision,
    *,
    teams: dict[int, Team],
    leads: dict[int, int | None],
) -> tuple[dict[str, list[Any]], list[str], list[int]]:
    """Apply one level's actions to the incident in memory (saved by the batch)."""
    rule, level = decision.rule, decision.level
    changes: dict[str, list[Any]] = {}
    fields: list[str] = []
    notify: list[int] = []
    for action in level.actions:
        if action == EscalationAction.NOTIFY_ASSIGNEE and incident.assignee_id:
            notify.append(incident.assignee_id)
        elif action == EscalationAction.NOTIFY_TEAM_LEAD and incident.team_id:
            lead = leads.get(incident.team_id)
            if lead:
                notify.append(lead)
        elif action == EscalationAction.NOTIFY_SERVICE_OWNER and incident.service:
            lead = incident.service.owner_team.lead_id
            if lead:
                notify.append(lead)
        elif action == EscalationAction.REASSIGN and rule.next_team_id:
            if incident.team_id != rule.next_team_id:
                team = teams[rule.next_team_id]
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
    return changes, fields, list(dict.fromkeys(notify))


def _escalated_event(
    decision: Decision, changes: dict[str, Any], notify: list[int], escalation_id: int
) -> dict[str, Any]:
    rule, level = decision.rule, decision.level
    what = "response" if rule.clock == "response" else rule.clock
    threshold = (
        f"{level.percent}% of the {what} target"
        if level.percent
        else (f"{level.minutes} business minutes without an update")
    )
    return {
        "type": "incident.escalated",
        "internal": True,
        "reason": f"Escalated by rule '{rule.name}', level {level.number}: {threshold}.",
        "payload": {
            "rule_id": rule.id,
            "rule": rule.name,
            "level": level.number,
            "clock": rule.clock,
            "actions": list(level.actions),
            "changes": changes,
            "notified": notify,
            "escalation_id": escalation_id,
        },
    }


def _set_outcomes(outcomes: dict[int, dict[str, Any]]) -> None:
    rows = [Escalation(pk=pk, outcome=outcome) for pk, outcome in outcomes.items()]
    _update_rows(Escalation, rows, ["outcome"])


def _update_rows(model: Any, rows: list[Any], names: list[str]) -> None:
    """Write these fields of these rows in one statement: on PostgreSQL
    ``UPDATE ... FROM (VALUES ...)`` (Django's ``bulk_update`` builds a CASE per field and row,
    which costs seconds of Python for a batch), elsewhere ``bulk_update``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, names)
        return
    meta = model._meta
    fields: list[Any] = [meta.pk, *(meta.get_field(name) for name in names)]
    placeholder = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    params: list[Any] = []
    for row in rows:
        params += [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    assignments = ", ".join(f"{c} = v.{c}" for c in columns[1:])
    # Table and column names come from the model; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([placeholder] * len(rows))}) AS v ({', '.join(columns)}) "
        f"WHERE t.{columns[0]} = v.{columns[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
