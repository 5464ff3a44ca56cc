"""The auto-close sweep: resolved incidents whose requester did not confirm within the period
are closed by the system, set-wise in bounded batches.

One batch is one transaction with a constant number of queries, whatever its size: the due
rows are claimed and closed in one ``UPDATE ... RETURNING`` (on PostgreSQL over a
``FOR UPDATE SKIP LOCKED`` selection, so concurrent workers never close a row twice and never
wait for each other), their ``incident.closed`` events are one insert (and their webhooks one
more), the SLA clocks are recomputed in Python by the pure rules and written in one statement,
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
from django.db.models import Exists, OuterRef

from incidents.choices import IncidentStatus
from incidents.models import Incident, IncidentSla, SlaPause
from org.services import system_actor
from servicedesk import clock

from .escalation import SLA_FIELDS, _preload_calendars, _update_rows
from .events import incident_events_bulk
from .sla import SlaConfig, breach_events, load_config, sla_compute

AUTOCLOSE_BATCH = 500
SUBJECT_TYPE = "incidents.incident"
SLA_SNAPSHOT = [
    f.attname
    for f in IncidentSla._meta.concrete_fields
    if f.name not in ("incident", "computed_at")
]
GATES = ("incident.closure.customer_confirmation", "bypass.obligations.open")


def incident_autoclose_due(*, now: datetime | None = None, batch: int = AUTOCLOSE_BATCH) -> int:
    """Close one bounded batch of resolved incidents past the confirmation period; returns how
    many were closed (fewer than ``batch``: nothing more is due, or other workers hold it)."""
    now = now or clock.now()
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    with transaction.atomic():
        ids = _claim_and_close(cutoff=cutoff, now=now, batch=batch)
        if not ids:
            return 0
        bot = system_actor()
        rows = Incident.objects.select_related("service__owner_team").in_bulk(ids)
        incidents = [rows[pk] for pk in sorted(ids)]
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


def _claim_and_close(*, cutoff: datetime, now: datetime, batch: int) -> list[int]:
    """Claim the due rows (skipping those another worker holds) and close them: their ids."""
    obligations = _open_obligations()
    stamp = clock.now()  # ``updated_at`` is the time of writing, as ``save()`` sets it
    if connection.vendor != "postgresql":
        ids = list(
            Incident.objects.select_for_update(skip_locked=True)
            .filter(status=IncidentStatus.RESOLVED, resolved_at__lte=cutoff)
            .exclude(Exists(obligations))
            .order_by("resolved_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        Incident.objects.filter(pk__in=ids).update(
            status=IncidentStatus.CLOSED, closed_at=now, updated_at=stamp
        )
        return ids
    due = (
        Incident.objects.filter(status=IncidentStatus.RESOLVED, resolved_at__lte=cutoff)
        .exclude(Exists(obligations))
        .order_by("resolved_at", "pk")
        .values("pk")[:batch]
    )
    select_sql, select_params = due.query.sql_with_params()
    table = connection.ops.quote_name(Incident._meta.db_table)
    # Table and column names come from the model; every value is a parameter.
    sql = (
        f"WITH due (id) AS MATERIALIZED ({select_sql} FOR UPDATE OF {table} SKIP LOCKED) "  # noqa: S608
        f"UPDATE {table} AS t SET status = %s, closed_at = %s, updated_at = %s "
        "FROM due WHERE t.id = due.id RETURNING t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, IncidentStatus.CLOSED, now, stamp])
        return [row[0] for row in cursor.fetchall()]


def _open_obligations() -> Any:
    from bypass.models import BypassObligation

    return BypassObligation.objects.filter(
        subject_type=SUBJECT_TYPE, subject_id=OuterRef("pk"), done_at=None
    )


def _sla_stop(incidents: list[Incident], *, config: SlaConfig, actor: Any, now: datetime) -> None:
    """``sla_refresh`` of each closed incident, set-wise: read the states and pauses of the
    batch once, recompute each by the pure rules, write them in one statement."""
    ids = [incident.pk for incident in incidents]
    states = {
        s.incident_id: s
        for s in IncidentSla.objects.select_for_update().filter(incident_id__in=ids)
    }
    pauses: dict[int, list[tuple[datetime, datetime | None, str]]] = defaultdict(list)
    for incident_id, started, ended, reason in SlaPause.objects.filter(
        incident_id__in=ids
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
    IncidentSla.objects.filter(incident_id__in=list(states)).update(computed_at=now)
    _update_rows(IncidentSla, changed_states, SLA_FIELDS)
    if new_states:
        IncidentSla.objects.bulk_create(new_states)
    if due_changed:
        _update_rows(Incident, due_changed, ["due_at"])
    if events:
        incident_events_bulk(events, actor=actor)


def _never_asked() -> datetime:
    raise AssertionError("the last update of a closed incident is never needed")


def _snapshot(state: IncidentSla) -> tuple[Any, ...]:
    return tuple(getattr(state, name) for name in SLA_SNAPSHOT)


def _count_gates(n: int) -> None:
    """The two gates of the close transition passed ``n`` times (counted as one-by-one would)."""
    from bypass import counters

    for gate_id in GATES:
        counters.bump(gate_id, times=n)
