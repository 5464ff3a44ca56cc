#!/usr/bin/env python
"""Benchmark: the SLA / escalation sweep over many open incidents, and that its cost is flat
in closed incidents.

    DATABASE_URL=postgres://... .venv/bin/python bench/escalation_bench.py \
        [--open 100000] [--closed 100000] [--due 1000]

Builds ``--open`` open incidents with SLA state (``--due`` of them due a look now, the rest
later) with bulk inserts, then times: the sweep finding nothing due (the common case, every
minute), and the sweeps that drain every due incident (breach + escalation levels, batches
of 200). Then adds ``--closed`` closed incidents and times both again.
"""

import argparse
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from harness import prepare_database  # sets Django up: import it before Django

from incidents.models import EscalationRule, Incident, IncidentSla, SlaPolicy
from incidents.services.escalation import sla_sweep
from org import demo

CHUNK = 5000


def build(*, count: int, due: int, closed: bool, requester, team, now) -> None:  # type: ignore[no-untyped-def]
    made = 0
    while made < count:
        n = min(CHUNK, count - made)
        rows = Incident.objects.bulk_create(
            Incident(
                title=f"Bench {'closed' if closed else 'open'} {made + i}",
                requester=requester,
                reported_by=requester,
                priority=3,
                team=team,
                status="closed" if closed else "in_progress",
                created_at=now - timedelta(hours=3),
                due_at=now + timedelta(days=2),
                closed_at=now - timedelta(hours=1) if closed else None,
                resolved_at=now - timedelta(hours=2) if closed else None,
            )
            for i in range(n)
        )
        IncidentSla.objects.bulk_create(
            IncidentSla(
                incident=row,
                policy_name="Bench",
                started_at=now - timedelta(hours=3),
                response_target=timedelta(hours=1),
                resolution_target=timedelta(hours=4),
                response_due_at=now - timedelta(hours=2),
                resolution_due_at=now + timedelta(hours=1),
                responded_at=now - timedelta(hours=2, minutes=30),
                stopped_at=now - timedelta(hours=2) if closed else None,
                computed_at=now - timedelta(hours=3),
                next_check_at=None
                if closed
                else (now - timedelta(minutes=1) if made + i < due else now + timedelta(hours=1)),
            )
            for i, row in enumerate(rows)
        )
        made += n


def sweep_all(now) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    checked = escalations = 0
    while True:
        result = sla_sweep(now=now, batch=200)
        checked += result.checked
        escalations += result.escalations
        if result.checked < 200:
            break
    return time.perf_counter() - start, checked, escalations


def idle(now) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        sla_sweep(now=now)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[len(samples) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    prepare_database()
    org = demo.seed()
    requester, team = org.users["hannah"], org.teams["service-desk"]
    SlaPolicy.objects.create(
        name="Bench", response_target=timedelta(hours=1), resolution_target=timedelta(hours=4)
    )
    EscalationRule.objects.create(
        name="Bench ladder",
        levels=[
            {"percent": 50, "actions": ["notify_assignee"]},
            {"percent": 75, "actions": ["flag_major"]},
        ],
    )
    now = timezone.now()
    t0 = time.perf_counter()
    build(count=args.open, due=args.due, closed=False, requester=requester, team=team, now=now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"database: {connection.vendor}; open incidents: {args.open:,} "
        f"(built in {time.perf_counter() - t0:.0f} s); due now: {args.due:,}"
    )
    seconds, checked, escalations = sweep_all(now)
    print(
        f"{'sweep draining every due incident':<52} {seconds:8.2f} s   "
        f"({checked:,} checked, {escalations:,} escalations)"
    )
    print(f"{'idle sweep (nothing due), median of 20':<52} {idle(now) * 1000:8.1f} ms")

    build(count=args.closed, due=0, closed=True, requester=requester, team=team, now=now)
    IncidentSla.objects.filter(stopped_at__isnull=True).update(
        next_check_at=now - timedelta(minutes=1)
    )
    IncidentSla.objects.filter(stopped_at__isnull=True).exclude(
        incident_id__in=IncidentSla.objects.filter(stopped_at__isnull=True)
        .order_by("incident_id")
        .values("incident_id")[: args.due]
    ).update(next_check_at=now + timedelta(hours=1))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"--- plus {args.closed:,} closed incidents ---")
    seconds, checked, escalations = sweep_all(now)
    print(
        f"{'sweep re-checking the same due incidents':<52} {seconds:8.2f} s   "
        f"({checked:,} checked, {escalations:,} escalations)"
    )
    print(f"{'idle sweep (nothing due), median of 20':<52} {idle(now) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
