#!/usr/bin/env python
"""Benchmark: the SLA / escalation sweep over many open incidents, and that its cost is flat
in closed incidents.

    DATABASE_URL=postgres://... .venv/bin/python bench/escalation_bench.py \
        [--open 100000] [--closed 100000] [--due 1000]

Builds ``--open`` open incidents with SLA state (``--due`` of them due a look now, the rest
later) with bulk inserts, then times: the sweep finding nothing due (the common case, every
minute), one sweep pass (one batch of 200 due incidents, two escalation levels each), and
the full sweep draining every due incident (batches of 200), in seconds and ms per incident.
Then adds ``--closed`` closed incidents and times all of it again.
"""

import argparse
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from harness import prepare_database  # sets Django up: import it before Django

from incidents.models import (
    Escalation,
    EscalationRule,
    Incident,
    IncidentSla,
    SlaPolicy,
)
from incidents.services.escalation import SWEEP_BATCH, sla_sweep
from org import demo
from servicedesk import outbox

CHUNK = 5000


def build(*, count: int, due: int, closed: bool, requester, assignee, team, now) -> None:  # type: ignore[no-untyped-def]
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
                assignee=assignee,
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


def make_due(now, due: int) -> None:  # type: ignore[no-untyped-def]
    """Put the first ``due`` open incidents back to "due a look, both levels unapplied" and
    every other open one to "next look in an hour"; then ANALYZE."""
    Escalation.objects.all().delete()  # (events are append-only: they stay, unread by the sweep)
    open_sla = IncidentSla.objects.filter(stopped_at__isnull=True)
    first = list(open_sla.order_by("incident_id").values_list("incident_id", flat=True)[:due])
    open_sla.update(next_check_at=now + timedelta(hours=1), resolution_breached_at=None)
    IncidentSla.objects.filter(incident_id__in=first).update(
        next_check_at=now - timedelta(minutes=1)
    )
    Incident.objects.filter(pk__in=first).update(is_major=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def sweep_all(now, batch: int) -> tuple[float, int, int, int]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    checked = escalations = passes = 0
    while True:
        result = sla_sweep(now=now, batch=batch)
        passes += 1
        checked += result.checked
        escalations += result.escalations
        if result.checked < batch:
            break
    return time.perf_counter() - start, checked, escalations, passes


def idle(now) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        sla_sweep(now=now)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[len(samples) // 2]


def report(now, due: int) -> None:  # type: ignore[no-untyped-def]
    print(f"{'idle sweep (nothing due), median of 20':<58} {idle(now) * 1000:9.1f} ms")
    make_due(now, due)
    start = time.perf_counter()
    one = sla_sweep(now=now, batch=SWEEP_BATCH)
    seconds = time.perf_counter() - start
    print(
        f"{'one sweep pass (one batch of ' + str(SWEEP_BATCH) + ' due)':<58} {seconds:9.2f} s   "
        f"({one.checked:,} checked, {one.escalations:,} escalations, "
        f"{seconds * 1000 / max(one.checked, 1):.1f} ms per incident)"
    )
    make_due(now, due)
    outbox._breaker_until["at"] = time.monotonic() + 3600  # relay_on_commit stands aside
    start = time.perf_counter()
    one = sla_sweep(now=now, batch=SWEEP_BATCH)
    seconds = time.perf_counter() - start
    outbox._breaker_until["at"] = 0.0
    print(
        f"{'  the same, notifications left to the outbox sweep':<58} {seconds:9.2f} s   "
        f"({seconds * 1000 / max(one.checked, 1):.1f} ms per incident; the rest above is the "
        "outbox relaying 200 messages on commit)"
    )
    make_due(now, due)
    seconds, checked, escalations, passes = sweep_all(now, SWEEP_BATCH)
    print(
        f"{'full sweep draining every due incident':<58} {seconds:9.2f} s   "
        f"({checked:,} checked in {passes} passes, {escalations:,} escalations, "
        f"{seconds * 1000 / max(checked, 1):.1f} ms per incident)"
    )
    seconds, checked, _escalations, _passes = sweep_all(now, SWEEP_BATCH)
    print(f"{'the sweep after that (nothing left due)':<58} {seconds * 1000:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    prepare_database()
    org = demo.seed()
    requester, team = org.users["hannah"], org.teams["service-desk"]
    assignee = team.members.order_by("pk").first()
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
    build(
        count=args.open,
        due=args.due,
        closed=False,
        requester=requester,
        assignee=assignee,
        team=team,
        now=now,
    )
    print(
        f"database: {connection.vendor}; open incidents: {args.open:,} "
        f"(built in {time.perf_counter() - t0:.0f} s); due now: {args.due:,}; "
        "each due incident escalates two levels (notify the assignee, flag major)"
    )
    report(now, args.due)
    build(
        count=args.closed,
        due=0,
        closed=True,
        requester=requester,
        assignee=assignee,
        team=team,
        now=now,
    )
    print(f"--- plus {args.closed:,} closed incidents ---")
    report(now, args.due)


if __name__ == "__main__":
    main()
