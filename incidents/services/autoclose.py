"""The auto-close sweep: resolved incidents whose requester did not confirm within the period
are closed by the system, set-wise in bounded batches.

One batch is one transaction with a constant number of queries, whatever its size: the due
rows are claimed and closed in one ``UPDATE ... RETURNING`` (on PostgreSQL over a
``FOR UPDATE SKIP LOCKED`` selection, so concurrent workers never close a row twice and never
wait for each other), their ``incident.closed`` events are one insert (and their webhooks one
more), the SLA states — final since the resolution unless the policy changed — are stamped in
one statement (the few whose policy changed are recomputed by the pure rules and written in one),
and the gate evaluations are counted once per gate. The observable result per incident is what
``incident_close(automatic=True)`` records: status closed, ``closed_at``, the event (actor the
system user, payload ``{"automatic": true}``), the SLA state stopped.

An incident with an open bypass obligation (gate ``bypass.obligations.open``, never bypassable)
is not due: it stays resolved and is left out of the selection, so it never fills a batch. The
selection is a range scan of the ``(status, resolved_at)`` index, so finding nothing due costs
the same however many incidents exist."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from incidents.choices import IncidentStatus
from incidents.models import Incident, IncidentSla, SlaPause
from org.models import BusinessService
from org.services import system_actor
from servicedesk import clock

from .escalation import SLA_FIELDS, _preload_calendars, _update_rows
from .events import incident_events_bulk
from .sla import SlaConfig, breach_events, load_config, sla_basis, sla_compute

AUTOCLOSE_BATCH = 500
SUBJECT_TYPE = "incidents.incident"
SLA_SNAPSHOT = [
    f.attname
    for f in IncidentSla._meta.concrete_fields
    if f.name not in ("incident", "computed_at")
]
GATES = ("incident.closure.customer_confirmation", "bypass.obligations.open")
# What the rest of the sweep never reads of a closed row (long texts, the search document) is
# left deferred: the claim's RETURNING stays narrow.
NOT_RETURNED = frozenset(
    ("description", "workaround", "resolution_notes", "search_document", "requester_replied_at")
)
# The stored SLA columns that, equal to what the policy and calendar give now, make a stopped
# clock's state final (in the order ``_stopped_under_the_same_policy`` builds them).
FINAL_WHEN_SAME = (
    "policy_id",
    "policy_name",
    "calendar_id",
    "response_target",
    "resolution_target",
    "stopped_at",
    "paused_since",
)


def incident_autoclose_due(*, now: datetime | None = None, batch: int = AUTOCLOSE_BATCH) -> int:
    """Close one bounded batch of resolved incidents past the confirmation period; returns how
    many were closed (fewer than ``batch``: nothing more is due, or other workers hold it)."""
    now = now or clock.now()
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    with transaction.atomic():
        incidents = _claim_and_close(cutoff=cutoff, now=now, batch=batch)
        if not incidents:
            return 0
        bot = system_actor()
        incident_events_bulk(
            [
                (
                    incident,
                    {
                        "type": "incident.closed",
                        "from_status": IncidentStatus.RESOLVED,
                        "to_status": IncidentStatus.CLOSED,
                        "payload": {"automatic": True},
                    },
                )
                for incident in incidents
            ],
            actor=bot,
        )
        config = load_config()
        _preload_calendars(config, incidents)
        _sla_stop(incidents, config=config, actor=bot, now=now)
        _count_gates(len(incidents))
    return len(incidents)


def _claim_and_close(*, cutoff: datetime, now: datetime, batch: int) -> list[Incident]:
    """Claim the due rows (skipping those another worker holds) and close them: the closed
    rows (as written, ``NOT_RETURNED`` deferred, with their service and its owner team), in id
    order."""
    obligations = _open_obligations()
    stamp = clock.now()  # ``updated_at`` is the time of writing, as ``save()`` sets it
    due = (
        Incident.objects.filter(status=IncidentStatus.RESOLVED, resolved_at__lte=cutoff)
        .exclude(Exists(obligations))
        .order_by("resolved_at", "pk")
    )
    if connection.vendor != "postgresql":
        ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])
        Incident.objects.filter(pk__in=ids).update(
            status=IncidentStatus.CLOSED, closed_at=now, updated_at=stamp
        )
        rows = Incident.objects.select_related("service__owner_team").in_bulk(ids)
        return [rows[pk] for pk in sorted(ids)]
    select_sql, select_params = due.values("pk")[:batch].query.sql_with_params()
    table = connection.ops.quote_name(Incident._meta.db_table)
    fields = [f for f in Incident._meta.concrete_fields if f.name not in NOT_RETURNED]
    returning = ", ".join(f"t.{connection.ops.quote_name(f.column)}" for f in fields)
    # Table and column names come from the model; every value is a parameter.
    sql = (
        f"WITH due (id) AS MATERIALIZED ({select_sql} FOR UPDATE OF {table} SKIP LOCKED) "  # noqa: S608
        f"UPDATE {table} AS t SET status = %s, closed_at = %s, updated_at = %s "
        f"FROM due WHERE t.id = due.id RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, IncidentStatus.CLOSED, now, stamp])
        names = [f.attname for f in fields]
        incidents = [Incident.from_db(connection.alias, names, row) for row in cursor.fetchall()]
    incidents.sort(key=lambda incident: incident.pk)
    services = BusinessService.objects.select_related("owner_team").in_bulk(
        {i.service_id for i in incidents if i.service_id is not None}
    )
    for incident in incidents:  # the SLA calendar may be the service's or its team's
        if incident.service_id is not None:
            incident.service = services[incident.service_id]
    return incidents


def _open_obligations() -> Any:
    from bypass.models import BypassObligation

    return BypassObligation.objects.filter(
        subject_type=SUBJECT_TYPE, subject_id=OuterRef("pk"), done_at=None
    )


def _sla_stop(incidents: list[Incident], *, config: SlaConfig, actor: Any, now: datetime) -> None:
    """``sla_refresh`` of each closed incident, set-wise. A resolved incident's clocks stopped
    at its resolution: where the policy, its targets and the calendar it would be judged on now
    are the ones its state was computed with, recomputing gives the same figures, so those
    states only record the time of computing (one UPDATE for all of them; as the SLA settings
    treat every stopped clock, a later calendar edit does not move it). The rest — a policy
    changed since the resolution — are recomputed by the pure rules: their states and pauses
    read once, written in one statement."""
    final, stale = _stopped_under_the_same_policy(incidents, config=config)
    if final:
        IncidentSla.objects.filter(_of_incidents(final)).update(computed_at=now, next_check_at=None)
    if stale:
        _sla_recompute(stale, config=config, actor=actor, now=now)


def _stopped_under_the_same_policy(
    incidents: list[Incident], *, config: SlaConfig
) -> tuple[list[int], list[Incident]]:
    """The ids whose stored state is final, and the incidents to recompute."""
    stored = {
        row[0]: row[1:]
        for row in IncidentSla.objects.filter(
            _of_incidents([incident.pk for incident in incidents])
        ).values_list("incident_id", *FINAL_WHEN_SAME)
    }
    final: list[int] = []
    stale: list[Incident] = []
    for incident in incidents:
        policy, calendar_id, response_target, resolution_target = sla_basis(incident, config)
        expected = (
            policy.id if policy else None,
            policy.name if policy else "",
            calendar_id,
            response_target,
            resolution_target,
            incident.resolved_at,
            None,  # no pause left open
        )
        if incident.resolved_at is not None and stored.get(incident.pk) == expected:
            final.append(incident.pk)
        else:
            stale.append(incident)
    return final, stale


def _sla_recompute(
    incidents: list[Incident], *, config: SlaConfig, actor: Any, now: datetime
) -> None:
    """Read the states and pauses of ``incidents`` once, recompute each by the pure rules,
    write them in one statement."""
    ids = [incident.pk for incident in incidents]
    states = {
        s.incident_id: s for s in IncidentSla.objects.select_for_update().filter(_of_incidents(ids))
    }
    pauses: dict[int, list[tuple[datetime, datetime | None, str]]] = defaultdict(list)
    for incident_id, started, ended, reason in SlaPause.objects.filter(
        _of_incidents(ids)
    ).values_list("incident_id", "started_at", "ended_at", "reason"):
        pauses[incident_id].append((started, ended, reason))
    events: list[tuple[Incident, dict[str, Any]]] = []
    due_changed: list[Incident] = []
    new_states: list[IncidentSla] = []
    changed_states: list[IncidentSla] = []
    for incident in incidents:
        state = states.get(incident.pk)
        if state is None:
            state = IncidentSla(incident=incident, started_at=incident.created_at)
            new_states.append(state)
            before = None
        else:
            before = _snapshot(state)
        breaches, changed = sla_compute(
            incident,
            state,
            pauses=pauses[incident.pk],
            applied=set(),  # a closed incident is no longer judged for escalation
            last_update=_never_asked,  # only open incidents are judged for escalation
            config=config,
            now=now,
        )
        events += [(incident, row) for row in breach_events(state, breaches)]
        if changed:
            due_changed.append(incident)
        if before is not None and _snapshot(state) != before:
            changed_states.append(state)
    # Usually the clocks stopped at the resolution and only the time of computing moves: one
    # UPDATE for all, and the full row only where a changed policy or calendar moved more.
    IncidentSla.objects.filter(_of_incidents(list(states))).update(computed_at=now)
    _update_rows(IncidentSla, changed_states, SLA_FIELDS)
    if new_states:
        IncidentSla.objects.bulk_create(new_states)
    if due_changed:
        _update_rows(Incident, due_changed, ["due_at"])
    if events:
        incident_events_bulk(events, actor=actor)


def _of_incidents(ids: list[int]) -> Any:
    """``incident_id IN ids``; on PostgreSQL as one array parameter (``= ANY(%s)``), which
    spares Django preparing a placeholder per id."""
    if connection.vendor != "postgresql":
        return Q(incident_id__in=ids)
    return Q(RawSQL("incident_id = ANY(%s)", [ids], output_field=BooleanField()))


def _never_asked() -> datetime:
    raise AssertionError("the last update of a closed incident is never needed")


def _snapshot(state: IncidentSla) -> tuple[Any, ...]:
    return tuple(getattr(state, name) for name in SLA_SNAPSHOT)


def _count_gates(n: int) -> None:
    """The two gates of the close transition passed ``n`` times (counted as one-by-one would)."""
    from bypass import counters

    for gate_id in GATES:
        counters.bump(gate_id, times=n)
