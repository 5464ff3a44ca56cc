"""Routing rules: the services that write them (validated on every save) and the service that
applies a decision of ``incidents.routing`` to an incident, in one transaction with its event.

A person's choice is never overridden: an incident whose team or assignee a person chose
(``assignment_source == manual``) keeps them; rules may still add a category it lacks,
watchers and notices. What a rule decided is recorded on the incident (``assignment_source``,
``routing_rule``) and on the timeline ("routed to Network by rule 'VPN outages'").
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Sum

from incidents import routing
from incidents.choices import (
    OPEN_STATUSES,
    ROUTED_SOURCES,
    AssignmentSource,
    IncidentStatus,
)
from incidents.models import Category, Incident, RoutingCursor, RoutingRule
from incidents.transitions import INCIDENT
from org.business_time import CalendarSpec
from org.choices import Role
from org.models import BusinessCalendar, BusinessService, Department, Team, User
from org.services import system_actor
from servicedesk import clock, outbox
from servicedesk.errors import NotFound, PermissionDenied, ValidationFailed

from .events import incident_event
from .sla import sla_refresh

DRY_RUN_DAYS = 30
DRY_RUN_LIMIT = 500
# Statuses in which rules may still choose the team and the assignee (once work has started,
# the people working it decide).
ROUTABLE_STATUSES = (IncidentStatus.NEW, IncidentStatus.ASSIGNED)


# --- Who may edit ----------------------------------------------------------------------------
def may_manage_routing(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return Role.ADMIN in roles or Role.PROCESS_OWNER in roles


def require_manager(actor: User) -> None:
    if not may_manage_routing(actor):
        raise PermissionDenied(
            "Only process owners and administrators edit routing rules.",
            code="routing.permission.manage",
        )


# --- Validation ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleInput:
    """A rule's editable content, validated (``clean_rule``)."""

    name: str
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    stop_on_match: bool = True
    description: str = ""


def clean_rule(
    *,
    name: str,
    conditions: Any,
    actions: Any,
    stop_on_match: bool = True,
    description: str = "",
) -> RuleInput:
    """Check a rule's shape (``incidents.routing``) and that every id it names exists;
    ``ValidationFailed`` (400) says what is wrong."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the rule a name.", details={"name": ["required"]})
    if len(name) > routing.RULE_NAME_MAX:
        raise ValidationFailed(f"A rule's name has at most {routing.RULE_NAME_MAX} characters.")
    if len(description or "") > 2000:
        raise ValidationFailed("A rule's description has at most 2000 characters.")
    try:
        conditions = routing.validate_conditions(conditions)
    except routing.RuleInvalid as exc:
        raise ValidationFailed(str(exc), details={"conditions": [str(exc)]}) from exc
    try:
        actions = routing.validate_actions(actions)
    except routing.RuleInvalid as exc:
        raise ValidationFailed(str(exc), details={"actions": [str(exc)]}) from exc
    ids = routing.referenced_ids(conditions, actions)
    models: dict[str, Any] = {
        "service": BusinessService,
        "category": Category,
        "department": Department,
        "team": Team,
        "user": User,
        "calendar": BusinessCalendar,
    }
    for kind, wanted in ids.items():
        if not wanted:
            continue
        found = set(models[kind].objects.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(wanted - found)
        if missing:
            text = f"No {kind} with id {', '.join(map(str, missing))}."
            raise ValidationFailed(text, details={"rule": [text]})
    for action in actions:
        user_id = action.get("user_id")
        if user_id and not User.objects.filter(pk=user_id, is_active=True).exists():
            raise ValidationFailed(f"User {action['user_id']} has no active account.")
    return RuleInput(
        name=name,
        conditions=conditions,
        actions=actions,
        stop_on_match=bool(stop_on_match),
        description=(description or "").strip(),
    )


# --- Rule services ---------------------------------------------------------------------------
def routing_rule_create(
    *,
    actor: User,
    name: str,
    conditions: Any,
    actions: Any,
    stop_on_match: bool = True,
    description: str = "",
    position: int | None = None,
    is_enabled: bool = False,
) -> RoutingRule:
    require_manager(actor)
    data = clean_rule(
        name=name,
        conditions=conditions,
        actions=actions,
        stop_on_match=stop_on_match,
        description=description,
    )
    _check_position(position)
    with transaction.atomic():
        if RoutingRule.objects.filter(name__iexact=data.name).exists():
            raise ValidationFailed(
                f"A rule named {data.name!r} already exists.", details={"name": ["taken"]}
            )
        if position is None:
            last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
            position = (last or 0) + 10
        return RoutingRule.objects.create(
            name=data.name,
            description=data.description,
            conditions=data.conditions,
            actions=data.actions,
            stop_on_match=data.stop_on_match,
            position=position,
            is_enabled=bool(is_enabled),
            created_by=actor,
        )


def _check_position(position: int | None) -> None:
    if position is not None and (
        isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 10**6
    ):
        raise ValidationFailed("A rule's position is a whole number from 0 to 1,000,000.")


def routing_rule_update(*, rule: RoutingRule | int, actor: User, **changes: Any) -> RoutingRule:
    """Change any of name, description, conditions, actions, stop_on_match, position,
    is_enabled; the whole rule is validated again."""
    require_manager(actor)
    allowed = {
        "name",
        "description",
        "conditions",
        "actions",
        "stop_on_match",
        "position",
        "is_enabled",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    pk = rule.pk if isinstance(rule, RoutingRule) else rule
    with transaction.atomic():
        locked = RoutingRule.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("No such routing rule.")
        data = clean_rule(
            name=changes.get("name", locked.name),
            conditions=changes.get("conditions", locked.conditions),
            actions=changes.get("actions", locked.actions),
            stop_on_match=changes.get("stop_on_match", locked.stop_on_match),
            description=changes.get("description", locked.description),
        )
        _check_position(changes.get("position"))
        if RoutingRule.objects.filter(name__iexact=data.name).exclude(pk=pk).exists():
            raise ValidationFailed(
                f"A rule named {data.name!r} already exists.", details={"name": ["taken"]}
            )
        locked.name = data.name
        locked.description = data.description
        locked.conditions = data.conditions
        locked.actions = data.actions
        locked.stop_on_match = data.stop_on_match
        if changes.get("position") is not None:
            locked.position = changes["position"]
        if "is_enabled" in changes:
            locked.is_enabled = bool(changes["is_enabled"])
        locked.save()
    return locked


def routing_rule_delete(*, rule: RoutingRule | int, actor: User) -> None:
    require_manager(actor)
    pk = rule.pk if isinstance(rule, RoutingRule) else rule
    deleted, _ = RoutingRule.objects.filter(pk=pk).delete()
    if not deleted:
        raise NotFound("No such routing rule.")


# --- Facts -----------------------------------------------------------------------------------
def facts_for(incident: Incident) -> routing.Facts:
    """The facts rules see. Select ``requester``, ``service__owner_team`` to read it in no
    query."""
    service = incident.service
    calendar_id = None
    if service is not None:
        calendar_id = service.calendar_id or service.owner_team.calendar_id
    return routing.Facts(
        incident_id=incident.pk,
        title=incident.title,
        description=incident.description,
        service_id=incident.service_id,
        category_id=incident.category_id,
        requester_department_id=incident.requester.department_id,
        team_id=incident.team_id,
        impact=incident.impact,
        urgency=incident.urgency,
        priority=incident.priority,
        channel=incident.channel,
        calendar_id=calendar_id,
    )


def rules_from(rows: Iterable[RoutingRule]) -> list[routing.Rule]:
    return [
        routing.Rule(
            id=row.pk,
            name=row.name,
            conditions=row.conditions or {"all": []},
            actions=row.actions or [],
            stop=row.stop_on_match,
        )
        for row in rows
    ]


@dataclass
class _RuleSet:
    key: Any = None
    rules: list[routing.Rule] = field(default_factory=list)
    calendar_ids: set[int] = field(default_factory=set)
    uses_hours: bool = False


_loaded = _RuleSet()


def enabled_rules() -> list[routing.Rule]:
    """The enabled rules in order. A process keeps them between calls and reloads them when
    any changed (one aggregate query tells: how many, their ids' sum, the latest change)."""
    enabled = RoutingRule.objects.filter(is_enabled=True)
    key = tuple(enabled.aggregate(n=Count("pk"), ids=Sum("pk"), at=Max("updated_at")).values())
    if key != _loaded.key:
        rules = rules_from(enabled.order_by("position", "id"))
        _loaded.rules, _loaded.key = rules, key
        _loaded.calendar_ids, _loaded.uses_hours = _calendar_needs(rules)
    return _loaded.rules


def _calendar_needs(rules: Iterable[routing.Rule]) -> tuple[set[int], bool]:
    ids: set[int] = set()
    uses_hours = False
    for rule in rules:
        ids |= routing.referenced_ids(rule.conditions, [])["calendar"]
        uses_hours = uses_hours or _uses_business_hours(rule.conditions)
    return ids, uses_hours


def calendars_for(rules: list[routing.Rule], facts: Iterable[routing.Facts]) -> dict:
    """The calendars the rules' business-hours conditions may need (none: no query)."""
    if rules is _loaded.rules:
        ids, uses_hours = set(_loaded.calendar_ids), _loaded.uses_hours
    else:
        ids, uses_hours = _calendar_needs(rules)
    if not uses_hours:
        return {}
    ids |= {f.calendar_id for f in facts if f.calendar_id}
    rows = BusinessCalendar.objects.filter(pk__in=ids).prefetch_related("hours", "holidays")
    return {row.pk: CalendarSpec.from_calendar(row) for row in rows}


def _uses_business_hours(node: Any) -> bool:
    if "field" in node:
        return bool(node["field"] == "business_hours")
    return any(_uses_business_hours(item) for item in next(iter(node.values()), []))


def _incident_rows() -> Any:
    return Incident.objects.select_related("requester", "service__owner_team", "team", "assignee")


# --- Applying a decision ---------------------------------------------------------------------
@dataclass
class RouteResult:
    incident_id: int
    decision: routing.Decision
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def roster_for(team_id: int, *, now: datetime, cursor: RoutingCursor | None) -> routing.Roster:
    members = (
        User.objects.filter(memberships__team_id=team_id, is_active=True)
        .only("pk", "is_away", "away_until")
        .order_by("pk")
    )
    present = tuple(m.pk for m in members if m.is_present(now))
    load = dict(
        Incident.objects.filter(assignee_id__in=present, status__in=OPEN_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return routing.Roster(
        team_id=team_id,
        present=present,
        load=load,
        last_assignee_id=cursor.last_assignee_id if cursor else None,
    )


def incident_route(*, incident_id: int, now: datetime | None = None) -> RouteResult | None:
    """Evaluate the enabled rules for one incident and apply the decision (idempotent: what
    already holds is not done again, so running it twice changes nothing the second time).
    None when the incident does not exist."""
    now = now or clock.now()
    with transaction.atomic():
        incident = _incident_rows().select_for_update(of=("self",)).filter(pk=incident_id).first()
        if incident is None:
            return None
        rules = enabled_rules()
        facts = facts_for(incident)
        decision = routing.evaluate(facts, rules, now=now, calendars=calendars_for(rules, [facts]))
        result = RouteResult(incident_id=incident.pk, decision=decision)
        if decision.is_empty or incident.status not in OPEN_STATUSES:
            return result
        _apply(incident, decision, result, now)
    return result


def _manual(incident: Incident) -> bool:
    if incident.assignment_source == AssignmentSource.MANUAL:
        return True
    # Rows from before routing (no source recorded) with a person on them: a person chose.
    return incident.assignee_id is not None and incident.assignment_source not in ROUTED_SOURCES


def _apply(
    incident: Incident, decision: routing.Decision, result: RouteResult, now: datetime
) -> None:
    fields: list[str] = []
    payload: dict[str, Any] = {
        "rules": [{"id": pk, "name": name} for pk, name in decision.matched],
        "reasons": {name: decision.reasons[pk] for pk, name in decision.matched},
        "previous": {"team_id": incident.team_id, "assignee_id": incident.assignee_id},
    }
    deciding_rule: int | None = None
    from_status = incident.status
    wants_team = decision.team_id is not None or decision.assign is not None
    if wants_team and _manual(incident):
        result.skipped.append("team and assignee were chosen by a person")
    elif wants_team and incident.status not in ROUTABLE_STATUSES:
        result.skipped.append(f"the incident is {incident.get_status_display().lower()}")
    elif wants_team:
        deciding_rule = _route_team(incident, decision, result, fields, payload, now)
    if decision.category_id and incident.category_id is None:
        incident.category_id = decision.category_id
        fields.append("category")
        payload["category_id"] = decision.category_id
        payload["category"] = Category.objects.get(pk=decision.category_id).name
        result.changed.append("category")
        deciding_rule = deciding_rule or decision.category_rule
    elif decision.category_id and incident.category_id != decision.category_id:
        result.skipped.append("the incident already has a category")
    watchers = _add_watchers(incident, decision.watcher_ids)
    if watchers:
        payload["watcher_ids"] = watchers
        result.changed.append("watchers")
    if decision.notify_user_ids or decision.notify_team_ids:
        # Notices go out with a routing change, or once per incident and set of rules.
        notice = "incident-route-notice:{}:{}".format(
            incident.pk, "-".join(str(pk) for pk, _ in decision.matched)
        )
        if result.changed or not outbox.has_run(notice):
            outbox.record_run(notice)
            payload["notify_user_ids"] = decision.notify_user_ids
            payload["notify_team_ids"] = decision.notify_team_ids
            result.changed.append("notice")
    if not result.changed:
        return
    if incident.assignee_id and incident.status == IncidentStatus.NEW:
        incident.status = INCIDENT.check(incident.status, "assign").target
        fields.append("status")
    rule_id = deciding_rule or decision.matched[0][0]
    rule_name = decision.rule_name(rule_id)
    payload["rule_id"], payload["rule"] = rule_id, rule_name
    if "team" in fields or "assignee" in fields:
        incident.routing_rule_id = rule_id
        fields += ["routing_rule", "assignment_source"]
    if fields:
        incident.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    incident_event(
        incident,
        "incident.routed",
        actor=system_actor(),
        from_status=from_status if "status" in fields else "",
        to_status=incident.status if "status" in fields else "",
        reason=_sentence(payload, rule_name),
        payload=payload,
        notify=True,
    )
    if "category" in fields:  # the category can select another SLA policy
        sla_refresh(incident=incident, actor=system_actor())


ASSIGNMENT_GATE = "incident.routing.assignment_rules"
RULES = "rules"


def override_team(value: Any) -> Team | None:
    """The active team an assignment override names (its id, or its name), or None."""
    teams = Team.objects.filter(is_active=True)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return teams.filter(pk=int(value)).first()
    if isinstance(value, str) and value.strip():
        return teams.filter(name__iexact=value.strip()).first()
    return None


def rules_team_for(incident: Incident, *, now: datetime | None = None) -> int | None:
    """The team the enabled rules compute for the incident now (or its current team)."""
    rules = enabled_rules()
    facts = facts_for(incident)
    decision = routing.evaluate(
        facts, rules, now=now or clock.now(), calendars=calendars_for(rules, [facts])
    )
    return decision.team_id or decision.assign_team_id() or incident.team_id


def assignment_gate(incident: Incident, *, actor: Any, computed: int | None) -> Any:
    """The team is a value gate: the routing rules compute it, an active OVERRIDE bypass may
    replace it (consumed here, recorded in the bypass ledger with the rules' team). The value
    is the effective team id and its source (``rules`` or ``BYP-…``); an override naming no
    active team leaves the rules' team."""
    from bypass.engine import Subject, gate_value

    value = gate_value(
        gate_id=ASSIGNMENT_GATE,
        subject=Subject.of(incident),
        actor=actor,
        computed=computed,
        source=RULES,
    )
    if value.source == RULES:
        return value
    team = override_team(value.effective)
    effective = team.pk if team is not None else computed
    return type(value)(computed, effective, value.source, value.request, value.use)


def _route_team(
    incident: Incident,
    decision: routing.Decision,
    result: RouteResult,
    fields: list[str],
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    computed = decision.team_id or decision.assign_team_id() or incident.team_id
    value = assignment_gate(incident, actor=system_actor(), computed=computed)
    team_id = value.effective
    source = value.source
    if (
        source == RULES
        and incident.team_source.startswith("BYP-")
        and incident.rules_team_id == computed
    ):
        # The rules still compute what they did when the bypass overrode them: keep it.
        team_id, source = incident.team_id, incident.team_source
    if team_id is None:
        result.skipped.append("no team to assign within")
        return None
    if (incident.rules_team_id, incident.team_source) != (computed, source):
        incident.rules_team_id, incident.team_source = computed, source
        fields += ["rules_team", "team_source"]
        if source != RULES:
            result.changed.append("team_source")
    payload["rules_team_id"], payload["team_source"] = computed, source
    if value.use is not None:
        payload["receipt"] = value.use.ledger_seq
        names = Team.objects.filter(pk=computed or 0).values_list("name", flat=True)
        payload["rules_team"] = names.first()
    team = Team.objects.filter(pk=team_id, is_active=True).first()
    if team is None:
        result.skipped.append(f"team {team_id} is inactive or gone")
        return None
    deciding: int | None = None
    if team.pk != incident.team_id:
        previous_assignee = incident.assignee_id
        incident.team = team
        incident.assignee = None
        incident.assignment_source = AssignmentSource.RULE
        fields += ["team", "assignee"]
        result.changed.append("team")
        if previous_assignee:
            result.changed.append("assignee")
        deciding = decision.team_rule or decision.assign_rule
    payload["team_id"], payload["team"] = team.pk, team.name
    if decision.assign is not None and incident.assignee_id is None:
        strategy = decision.assign[1]
        cursor, _ = RoutingCursor.objects.get_or_create(team=team)
        cursor = RoutingCursor.objects.select_for_update().get(pk=cursor.pk)
        picked = routing.pick_assignee(strategy, roster_for(team.pk, now=now, cursor=cursor))
        if picked is None:
            result.skipped.append(f"nobody in {team.name} is present")
            payload["nobody_present"] = True
        else:
            incident.assignee = User.objects.get(pk=picked)
            incident.assignment_source = (
                AssignmentSource.ROUND_ROBIN
                if strategy == "round_robin"
                else AssignmentSource.LEAST_LOADED
            )
            fields += ["assignee"]
            result.changed.append("assignee")
            payload["assignee_id"], payload["assignee"] = picked, incident.assignee.name
            payload["strategy"] = strategy
            if strategy == "round_robin":
                cursor.last_assignee_id = picked
                cursor.save(update_fields=["last_assignee"])
            deciding = deciding or decision.assign_rule
    return deciding


def _add_watchers(incident: Incident, user_ids: list[int]) -> list[int]:
    if not user_ids:
        return []
    already = set(incident.watchers.values_list("pk", flat=True))
    wanted = [
        pk
        for pk in User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True)
        if pk not in already and pk != incident.requester_id
    ]
    if wanted:
        incident.watchers.add(*wanted)
    return sorted(wanted)


def _sentence(payload: dict[str, Any], rule_name: str) -> str:
    parts = []
    if payload.get("assignee"):
        how = "round robin" if payload.get("strategy") == "round_robin" else "least loaded"
        parts.append(f"assigned to {payload['assignee']} in {payload['team']} ({how})")
    elif payload.get("team") and payload["team_id"] != payload["previous"]["team_id"]:
        parts.append(f"routed to {payload['team']}")
        if payload.get("nobody_present"):
            parts.append("nobody present to assign")
    if payload.get("category"):
        parts.append(f"category set to {payload['category']}")
    if payload.get("watcher_ids"):
        parts.append(f"{len(payload['watcher_ids'])} watcher(s) added")
    if not parts and (payload.get("notify_user_ids") or payload.get("notify_team_ids")):
        parts.append("notified")
    sentence = f"{', '.join(parts) or 'routed'} by rule '{rule_name}'"
    if payload.get("receipt") is not None:
        sentence += (
            f"; {payload['team_source']} overrode the rules' team "
            f"{payload.get('rules_team') or 'none'} (receipt #{payload['receipt']})"
        )
    return sentence


# --- Scheduling ------------------------------------------------------------------------------
WATCHED_FIELDS = frozenset(
    {"service", "category", "impact", "urgency", "priority", "title", "description"}
)


def schedule_routing(incident: Incident, *, cause: str) -> None:
    """Record, in the caller's transaction, that the incident is to be routed (outbox key per
    cause: the incident's creation or the event that changed a watched field). Nothing is
    recorded while the clock is pinned (history being written)."""
    if clock.is_pinned():
        return
    from incidents.tasks import incident_route_task

    outbox.enqueue(
        incident_route_task, key=f"incident-route:{incident.pk}:{cause}", args=[incident.pk]
    )


# --- Dry run ---------------------------------------------------------------------------------
@dataclass
class DryRunRow:
    incident: Incident
    decision: routing.Decision
    reasons: list[str]
    would: list[str]


def routing_dry_run(
    *,
    actor: User,
    rule: RoutingRule | None = None,
    body: RuleInput | None = None,
    days: int = DRY_RUN_DAYS,
    limit: int = DRY_RUN_LIMIT,
    now: datetime | None = None,
) -> tuple[list[DryRunRow], int]:
    """Which incidents logged in the last ``days`` this one rule (a saved one, or a validated
    body) would have matched, at the time each was logged, and what it would have done. Reads
    only. Returns (the first ``limit`` matches, newest first; how many incidents were looked
    at)."""
    require_manager(actor)
    now = now or clock.now()
    if rule is not None:
        candidate = rules_from([rule])[0]
    elif body is not None:
        candidate = routing.Rule(
            id=0,
            name=body.name,
            conditions=body.conditions,
            actions=body.actions,
            stop=body.stop_on_match,
        )
    else:
        raise ValidationFailed("Give a rule to try.")
    incidents = list(
        _incident_rows()
        .filter(created_at__gte=now - timedelta(days=days))
        .order_by("-created_at", "-id")[:5000]
    )
    facts = [facts_for(i) for i in incidents]
    calendars = calendars_for([candidate], facts)
    names = _names_for(candidate)
    rows = []
    for incident, fact in zip(incidents, facts, strict=True):
        decision = routing.evaluate(fact, [candidate], now=incident.created_at, calendars=calendars)
        if decision.is_empty:
            continue
        rows.append(
            DryRunRow(
                incident=incident,
                decision=decision,
                reasons=decision.reasons.get(candidate.id, []),
                would=describe(decision, names, incident),
            )
        )
        if len(rows) >= limit:
            break
    return rows, len(incidents)


def _names_for(rule: routing.Rule) -> dict[str, dict[int, str]]:
    ids = routing.referenced_ids(rule.conditions, rule.actions)
    return {
        "team": dict(Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name")),
        "category": dict(Category.objects.filter(pk__in=ids["category"]).values_list("pk", "name")),
        "user": {u.pk: u.name for u in User.objects.filter(pk__in=ids["user"])},
    }


def describe(
    decision: routing.Decision, names: dict[str, dict[int, str]], incident: Incident
) -> list[str]:
    """What the decision would do to this incident, in words."""
    out = []
    manual = _manual(incident)
    team_id = decision.team_id or decision.assign_team_id()
    team = names["team"].get(team_id or 0) or (incident.team.name if incident.team else "")
    if (decision.team_id or decision.assign) and manual:
        out.append("keep the team and assignee a person chose")
    else:
        if decision.team_id:
            out.append(f"route to {names['team'].get(decision.team_id, decision.team_id)}")
        if decision.assign:
            how = decision.assign[1].replace("_", " ")
            out.append(f"assign {how} within {team or 'its team'}")
    if decision.category_id:
        out.append(f"set category {names['category'].get(decision.category_id)}")
    for pk in decision.watcher_ids:
        out.append(f"add watcher {names['user'].get(pk, pk)}")
    for pk in decision.notify_user_ids:
        out.append(f"notify {names['user'].get(pk, pk)}")
    for pk in decision.notify_team_ids:
        out.append(f"notify team {names['team'].get(pk, pk)}")
    return out


__all__ = [
    "DryRunRow",
    "RouteResult",
    "assignment_gate",
    "clean_rule",
    "incident_route",
    "may_manage_routing",
    "routing_dry_run",
    "routing_rule_create",
    "routing_rule_delete",
    "routing_rule_update",
    "rules_team_for",
    "schedule_routing",
]
