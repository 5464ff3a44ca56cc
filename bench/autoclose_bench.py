#!/usr/bin/env python
"""Benchmark: the auto-close sweep closing many due incidents, set-wise in batches, and the
cost of finding nothing due.

    DATABASE_URL=postgres://... nice .venv/bin/python bench/autoclose_bench.py \
        [--due 100000] [--other 100000] [--batch 500]

Bulk-loads ``--due`` resolved incidents past the confirmation period (each with its SLA state
and one pause, so the SLA recompute has something to read) and ``--other`` incidents that are
not due (open, or resolved yesterday). Times the sweep finding nothing due before, then draining
every due incident (``incident_autoclose_due`` in batches until a short batch, as the task
does), and finding nothing due after; checks that each due incident is closed with exactly one
``incident.closed`` event.
"""

import argparse
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from harness import prepare_database  # sets Django up: import it before Django

from incidents.models import Incident, IncidentEvent, IncidentSla, SlaPause
from incidents.services.autoclose import AUTOCLOSE_BATCH, incident_autoclose_due
from incidents.services.sla import load_config, sla_compute
from org import demo
from org.services import system_actor

CHUNK = 5000


def load(*, count: int, due: bool, requester, assignee, team, now) -> None:  # type: ignore[no-untyped-def]
    """``count`` incidents with SLA rows and a pause each, by bulk inserts of CHUNK rows. The
    resolved ones carry the SLA state the services stored when they were resolved (computed
    here by the same pure rules), as in a real database."""
    days = settings.INCIDENT_AUTO_CLOSE_DAYS
    config = load_config()
    made = 0
    while made < count:
        n = min(CHUNK, count - made)
        resolved_at = now - timedelta(days=days + 1) if due else now - timedelta(days=1)
        status = "resolved" if due or (made // CHUNK) % 2 else "in_progress"
        created = resolved_at - timedelta(hours=30)
        incidents = [
            Incident(
                title=f"Bench {status} {made + i}",
                requester=requester,
                reported_by=requester,
                priority=3,
                team=team,
                assignee=assignee,
                status=status,
                created_at=created,
                first_response_at=created + timedelta(minutes=20),
                due_at=created + timedelta(days=2),
                resolved_at=resolved_at + timedelta(seconds=i) if status == "resolved" else None,
                resolution_code="fixed" if status == "resolved" else "",
            )
            for i in range(n)
        ]
        pause = (created + timedelta(hours=1), created + timedelta(hours=2), "requester")
        states = []
        for incident in incidents:
            state = IncidentSla(started_at=created, computed_at=created)
            if incident.resolved_at:
                sla_compute(
                    incident,
                    state,
                    pauses=[pause],
                    applied=set(),
                    last_update=lambda created=created: created,
                    config=config,
                    now=incident.resolved_at,
                )
            else:
                state.next_check_at = now + timedelta(hours=1)
            states.append(state)
        rows = Incident.objects.bulk_create(incidents)
        for row, state in zip(rows, states, strict=True):
            state.incident = row
        IncidentSla.objects.bulk_create(states)
        SlaPause.objects.bulk_create(
            SlaPause(incident=row, reason=pause[2], started_at=pause[0], ended_at=pause[1])
            for row in rows
        )
        made += n


def idle(now) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        assert incident_autoclose_due(now=now) == 0
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--other", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=AUTOCLOSE_BATCH)
    args = parser.parse_args()
    prepare_database()
    org = demo.seed()
    requester, team = org.users["hannah"], org.teams["service-desk"]
    assignee = team.members.order_by("pk").first()
    system_actor()
    now = timezone.now()
    t0 = time.perf_counter()
    load(count=args.other, due=False, requester=requester, assignee=assignee, team=team, now=now)
    load(count=args.due, due=True, requester=requester, assignee=assignee, team=team, now=now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"database: {connection.vendor}; due: {args.due:,} resolved incidents past the period; "
        f"not due: {args.other:,}; loaded in {time.perf_counter() - t0:.0f} s"
    )
    events_before = IncidentEvent.objects.filter(type="incident.closed").count()
    # Nothing due yet at a time before the period ends for the due ones: constant.
    print(
        f"{'sweep finding nothing due (before), median of 20':<52} "
        f"{idle(now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS + 2)):8.1f} ms"
    )
    start = time.perf_counter()
    batches = closed = 0
    while True:
        n = incident_autoclose_due(now=now, batch=args.batch)
        batches += 1
        closed += n
        if n < args.batch:
            break
    seconds = time.perf_counter() - start
    print(
        f"{'sweep closing every due incident':<52} {seconds:8.1f} s    ({closed:,} closed in "
        f"{batches:,} batches of {args.batch}, {seconds * 1000 / max(closed, 1):.3f} ms each)"
    )
    print(f"{'sweep finding nothing due (after), median of 20':<52} {idle(now):8.1f} ms")
    events = IncidentEvent.objects.filter(type="incident.closed").count() - events_before
    closed_rows = Incident.objects.filter(status="closed", closed_at=now).count()
    print(f"check: {closed_rows:,} incidents closed now, {events:,} incident.closed events")
    assert closed == closed_rows == events == args.due, (closed, closed_rows, events)


if __name__ == "__main__":
    main()
