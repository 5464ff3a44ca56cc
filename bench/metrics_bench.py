#!/usr/bin/env python
"""Benchmark: the metrics dashboards and endpoints, live and from the rollups.

    DATABASE_URL=postgres://… .venv/bin/python bench/metrics_bench.py [--incidents 1000000]
        [--changes 50000] [--repeat 5]

Uses a scratch SQLite file unless DATABASE_URL names PostgreSQL (then the test database
``test_<name>`` is created for the run). The demo organisation is seeded (services on business
calendars in several time zones), then incidents and changes are bulk-loaded by the database
itself (``INSERT … SELECT`` over ``generate_series`` on PostgreSQL, batched ``bulk_create`` on
SQLite) with realistic distributions: two years of history, priorities P1 2 % / P2 10 % /
P3 50 % / P4 38 %, a log-uniform time to restore from 30 minutes to 4 days, 5 % reopened, one
or two assignment events each, a rating on a quarter of the resolutions, a few still open;
changes with 12 % failed or backed out, a lead time of hours to weeks, a third of them
standard, with their authorisation events. SLA: four policies (P1-P4), an SLA state per incident
on its service's calendar with breaches where the clock ran past its target, a pause (cause
requester / vendor / change / other) on 15 % of the restorations, 2 % of the priorities changed
by a bypass (the matrix priority kept), 0.5 % of the tickets moved ahead of the queue with the
queue-jump event. Then it times the rollup build and every page and
endpoint for the last 30 days and the last year, with ``source=live`` and ``source=rollup``.
"""

import argparse
import json
import random
import time
from datetime import timedelta
from functools import partial

import harness  # sets Django up: import it before anything from Django
from django.db import connection, models
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone

from changes.models import Change, ChangeAuthority, ChangeEvent, ChangeTemplate
from incidents.models import Incident, IncidentEvent, IncidentSla, Satisfaction, SlaPause, SlaPolicy
from metrics import services as metrics_services
from metrics.models import RollupDay
from org import demo

prepare_database = harness.prepare_database
timed = partial(harness.timed, width=64)


def insert_select(
    model: type[models.Model],
    n: int,
    exprs: dict[str, tuple[str, list]],
    source: tuple[str, list] | None = None,
) -> None:
    """``INSERT INTO <model> (...) SELECT ... FROM generate_series(1, n) g``: each column in
    ``exprs`` is an SQL expression with its parameters, every other concrete column takes the
    field's default (PostgreSQL only). ``source`` replaces the ``FROM`` clause (SQL and
    parameters) when the columns share values drawn once per row."""
    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in exprs:
            sql, params = exprs[field.column]
            values.append(sql)
            args.extend(params)
        elif isinstance(field, models.JSONField):
            values.append("%s::jsonb")
            args.append(json.dumps(field.get_default()))
        else:
            values.append("%s")
            args.append(field.get_default())
    table = connection.ops.quote_name(model._meta.db_table)
    source_sql, source_args = source or ("generate_series(1, %s) g", [n])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (bench, fixed columns)
        f"SELECT {', '.join(values)} FROM {source_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, *source_args])


def load_postgres(n: int, n_changes: int, org: demo.DemoOrg) -> None:
    users = [u.pk for u in org.users.values()]
    services = [s.pk for s in org.services.values()]
    teams = list({s.owner_team_id for s in org.services.values()})
    actor = next(iter(org.users.values()))
    now = timezone.now()
    pick = "(%s::bigint[])[1 + floor(random() * %s)::int]"

    def one_of(ids: list[int]) -> tuple[str, list]:
        return pick, [ids, len(ids)]

    created = ("%s::timestamptz - (random() * interval '730 days')", [now])
    stamp = ("%s::timestamptz", [now])
    # one row of draws per incident, so that every column is written by the INSERT itself (no
    # UPDATE passes over the table): created, restore time (log-uniform from 0.5 h to 96 h; the
    # youngest week stays open), the matrix priority (P1 2 %, P2 8 %, P3 40 %, P4 50 %), a
    # priority raised by a bypass (2 %) and a queue jump (0.5 %)
    draws = (
        "(SELECT g, c, c + make_interval(secs => 1800 * exp(random() * ln(192))) AS r, "
        "c > %s::timestamptz - interval '7 days' AS open, random() AS bump, "
        "random() AS jump, (ARRAY[1,2,2,2,2,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,4,4,4,4,4,"
        "4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4])[1 + floor(random() * 50)::int] AS p "
        "FROM (SELECT g, %s::timestamptz - (random() * interval '730 days') AS c "
        "FROM generate_series(1, %s) g) a) s",
        [now, now, n],
    )
    raised = "s.p < 4 AND s.bump < 0.02"
    insert_select(
        Incident,
        n,
        {
            "title": ("'bench incident ' || g", []),
            "requester_id": one_of(users),
            "reported_by_id": one_of(users),
            "service_id": one_of(services),
            "team_id": one_of(teams),
            "matrix_priority": ("s.p", []),
            "priority": (f"CASE WHEN {raised} THEN s.p + 1 ELSE s.p END", []),
            "priority_source": (f"CASE WHEN {raised} THEN 'BYP-000001' ELSE '' END", []),
            "queue_rank": ("CASE WHEN s.jump < 0.005 THEN 1 ELSE 0 END", []),
            "queue_source": ("CASE WHEN s.jump < 0.005 THEN 'BYP-000002' ELSE '' END", []),
            "affected_users": (
                "CASE WHEN random() < 0.1 THEN 5 + floor(random() * 200)::int ELSE 1 END",
                [],
            ),
            "status": ("CASE WHEN s.open THEN 'in_progress' ELSE 'closed' END", []),
            "resolution_code": ("CASE WHEN s.open THEN '' ELSE 'fixed' END", []),
            "created_at": ("s.c", []),
            "first_response_at": ("s.c + interval '10 minutes'", []),
            "resolved_at": ("CASE WHEN s.open THEN NULL ELSE s.r END", []),
            "closed_at": ("CASE WHEN s.open THEN NULL ELSE s.r + interval '5 days' END", []),
            "updated_at": stamp,
            "reopened_count": ("CASE WHEN random() < 0.05 THEN 1 ELSE 0 END", []),
        },
        source=draws,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO incidents_incidentevent (incident_id, type, actor_id, actor_name, "
            "from_status, to_status, reason, payload, is_internal, created_at) "
            "SELECT id, 'incident.assigned', %s, 'bench', '', '', '', '{}'::jsonb, false, "
            "created_at + interval '5 minutes' FROM incidents_incident "
            "UNION ALL SELECT id, 'incident.assigned', %s, 'bench', '', '', '', '{}'::jsonb, "
            "false, created_at + interval '1 hour' FROM incidents_incident WHERE random() < 0.2 "
            "UNION ALL SELECT id, 'incident.resolved', %s, 'bench', '', '', '', '{}'::jsonb, "
            "false, resolved_at FROM incidents_incident WHERE resolved_at IS NOT NULL",
            [actor.pk, actor.pk, actor.pk],
        )
        cursor.execute(
            "INSERT INTO incidents_satisfaction (incident_id, resolution_number, rating, "
            "comment, rated_by_id, created_at) SELECT id, 1, 1 + floor(random() * 5)::int, "
            "CASE WHEN random() < 0.2 THEN 'bench comment' ELSE '' END, requester_id, "
            "resolved_at + interval '2 hours' FROM incidents_incident "
            "WHERE resolved_at IS NOT NULL AND random() < 0.25"
        )
    load_sla_postgres(actor.pk, now)
    template = ChangeTemplate.objects.order_by("pk").first()
    template_id = template.pk if template else None
    authorities = list(ChangeAuthority.objects.values_list("pk", flat=True))
    insert_select(
        Change,
        n_changes,
        {
            "title": ("'bench change ' || g", []),
            "type": (
                "CASE WHEN g %% 3 = 0 AND %s::bigint IS NOT NULL THEN 'standard' "
                "WHEN g %% 25 = 0 THEN 'emergency' ELSE 'normal' END",
                [template_id],
            ),
            "template_id": ("CASE WHEN g %% 3 = 0 THEN %s::bigint END", [template_id]),
            "requester_id": one_of(users),
            "owner_team_id": one_of(teams),
            "status": ("'closed'", []),
            "outcome": (
                "CASE WHEN random() < 0.08 THEN 'failed' WHEN random() < 0.05 "
                "THEN 'backed_out' ELSE 'successful' END",
                [],
            ),
            "created_at": created,
            "updated_at": stamp,
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE changes_change SET submitted_at = created_at + interval '1 hour', "
            "ended_at = created_at + make_interval(secs => 3600 * exp(random() * ln(500))) "
            "WHERE title LIKE 'bench change %%'"
        )
        cursor.execute(
            "UPDATE changes_change SET restored_at = ended_at + "
            "make_interval(secs => 600 * exp(random() * ln(100))) "
            "WHERE outcome IN ('failed', 'backed_out') AND title LIKE 'bench change %%'"
        )
        cursor.execute(
            "INSERT INTO changes_change_services (change_id, businessservice_id) "
            "SELECT id, (%s::bigint[])[1 + (id %% %s)::int] FROM changes_change "
            "WHERE title LIKE 'bench change %%'",
            [services, len(services)],
        )
        cursor.execute(
            "INSERT INTO changes_changeevent (change_id, type, actor_id, actor_name, "
            "from_status, to_status, reason, payload, created_at) "
            "SELECT id, 'change.assessed', %s, 'bench', '', '', '', '{}'::jsonb, submitted_at "
            "FROM changes_change WHERE type <> 'standard' AND title LIKE 'bench change %%' "
            "UNION ALL SELECT id, 'change.approved_by', %s, 'bench', '', '', '', "
            "jsonb_build_object('authority_id', (%s::bigint[])[1 + (id %% %s)::int], "
            "'quorum', 'approved'), submitted_at + make_interval(secs => 60 * exp(random() * "
            "ln(2000))) FROM changes_change WHERE type <> 'standard' "
            "AND title LIKE 'bench change %%'",
            [actor.pk, actor.pk, authorities, len(authorities)],
        )
        cursor.execute("ANALYZE")


SLA_TARGETS = {1: (1, 4), 2: (2, 8), 3: (4, 24), 4: (8, 72)}  # hours: response, resolution


def load_sla_postgres(actor_id: int, now: object) -> None:
    """Policies, one SLA state per incident, pauses, bypassed priorities and queue jumps."""
    for priority, (response, resolution) in SLA_TARGETS.items():
        SlaPolicy.objects.get_or_create(
            name=f"bench P{priority}",
            defaults={
                "position": priority,
                "priorities": [priority],
                "response_target": timedelta(hours=response),
                "resolution_target": timedelta(hours=resolution),
            },
        )
    with connection.cursor() as cursor:
        # the matrix priority, raised priorities and queue ranks were drawn by the INSERT
        cursor.execute(
            "INSERT INTO incidents_incidentevent (incident_id, type, actor_id, actor_name, "
            "from_status, to_status, reason, payload, is_internal, created_at) "
            "SELECT id, 'incident.queue_jumped', %s, 'bench', '', '', '', "
            "'{\"queue_rank\": [0, 1]}'::jsonb, true, created_at + interval '2 minutes' "
            "FROM incidents_incident WHERE queue_rank > 0",
            [actor_id],
        )
        cursor.execute(
            "INSERT INTO incidents_slapause (incident_id, reason, waiting_on, started_at, "
            "ended_at) SELECT id, (ARRAY['requester','vendor','change','other'])"
            "[1 + floor(random() * 4)::int], '', created_at + interval '30 minutes', "
            "created_at + interval '30 minutes' + (resolved_at - created_at - "
            "interval '30 minutes') * random() FROM incidents_incident "
            "WHERE resolved_at > created_at + interval '30 minutes' AND random() < 0.15"
        )
        # the clocks run on the effective priority's targets
        response = "(ARRAY[{}])[i.priority]".format(
            ", ".join(f"interval '{r} hours'" for r, _ in SLA_TARGETS.values())
        )
        resolution = "(ARRAY[{}])[i.priority]".format(
            ", ".join(f"interval '{r} hours'" for _, r in SLA_TARGETS.values())
        )
        cursor.execute(
            "INSERT INTO incidents_incidentsla (incident_id, policy_name, calendar_id, "  # noqa: S608
            "started_at, response_target, resolution_target, response_elapsed, "
            "resolution_elapsed, responded_at, stopped_at, pause_reason, response_breached_at, "
            "resolution_breached_at, computed_at) "
            f"SELECT i.id, 'bench', s.calendar_id, i.created_at, {response}, {resolution}, "
            "COALESCE(i.first_response_at - i.created_at, interval '0'), "
            "COALESCE(i.resolved_at - i.created_at - COALESCE(p.paused, interval '0'), "
            "interval '0'), i.first_response_at, i.resolved_at, '', NULL, "
            f"CASE WHEN i.resolved_at - i.created_at - COALESCE(p.paused, interval '0') > "
            f"{resolution} THEN i.created_at + {resolution} END, %s "
            "FROM incidents_incident i LEFT JOIN org_businessservice s ON s.id = i.service_id "
            "LEFT JOIN (SELECT incident_id, SUM(ended_at - started_at) AS paused "
            "FROM incidents_slapause GROUP BY incident_id) p ON p.incident_id = i.id "
            "WHERE i.title LIKE 'bench incident %%'",
            [now],
        )


def load_sqlite(n: int, org: demo.DemoOrg) -> None:
    rng = random.Random(14)
    users = list(org.users.values())
    service_list = list(org.services.values())
    now = timezone.now()
    batch: list[Incident] = []
    for i in range(n):
        created = now - timedelta(minutes=rng.randrange(730 * 24 * 60))
        restored = created + timedelta(seconds=1800 * 192 ** rng.random())
        service = rng.choice(service_list)
        batch.append(
            Incident(
                title=f"bench incident {i}",
                requester=rng.choice(users),
                reported_by=rng.choice(users),
                service=service,
                team_id=service.owner_team_id,
                priority=rng.choice([1, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4]),
                status="closed" if restored < now else "in_progress",
                resolution_code="fixed" if restored < now else "",
                created_at=created,
                resolved_at=restored if restored < now else None,
                affected_users=rng.choice([1] * 9 + [50]),
                reopened_count=1 if rng.random() < 0.05 else 0,
            )
        )
        if len(batch) == 5000:
            Incident.objects.bulk_create(batch)
            batch = []
    Incident.objects.bulk_create(batch)
    actor = users[0]
    IncidentEvent.objects.bulk_create(
        IncidentEvent(
            incident_id=pk, type="incident.assigned", actor=actor, actor_name="bench", created_at=c
        )
        for pk, c in Incident.objects.values_list("pk", "created_at").iterator()
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--live-repeat", type=int, default=1, help="live runs are slow at scale: time fewer"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the data already in DATABASE_URL (name the test_… database a previous run "
        "loaded) instead of loading anew",
    )
    parser.add_argument(
        "--live",
        choices=["full", "month", "none"],
        default="full",
        help="which live (no rollup) timings to take: all, the 30-day ones, none",
    )
    parser.add_argument(
        "--only", default="", help="time only the labels containing one of these (comma-separated)"
    )
    parser.add_argument(
        "--no-rollup-build", action="store_true", help="with --reuse: time the rollups as built"
    )
    args = parser.parse_args()
    if args.reuse:
        setup_test_environment()
    else:
        prepare_database()
    org = demo.seed()
    print(f"database: {connection.vendor}; incidents: {args.incidents}; changes: {args.changes}")
    start = time.perf_counter()
    if args.reuse:
        pass
    elif connection.vendor == "postgresql":
        load_postgres(args.incidents, args.changes, org)
    else:
        load_sqlite(args.incidents, org)  # changes: the demo's
    if not args.reuse:
        print(f"{'bulk load':<64} {time.perf_counter() - start:7.1f} s")
    print(
        f"rows: incidents {Incident.objects.count()}, incident events "
        f"{IncidentEvent.objects.count()}, ratings {Satisfaction.objects.count()}, SLA states "
        f"{IncidentSla.objects.count()}, pauses {SlaPause.objects.count()}, changes "
        f"{Change.objects.count()}, change events {ChangeEvent.objects.count()}"
    )

    manager = org.users["deskmgr"]
    client = Client()
    client.force_login(manager)
    today = timezone.now().date()
    month = f"start={today - timedelta(days=29)}&end={today}&tz=Europe/London"
    year = f"start={today - timedelta(days=364)}&end={today}&tz=Europe/London&bucket=month"
    service = next(iter(org.services.values())).pk

    def selected(label: str, fn, repeat: int) -> None:  # type: ignore[no-untyped-def]
        if not args.only or any(part in label for part in args.only.split(",")):
            timed(label, fn, repeat=repeat)

    def run(source: str) -> None:
        timing = partial(selected, repeat=args.repeat if source == "rollup" else args.live_repeat)
        for label, period in (("30 days", month), ("1 year", year)):
            if source == "live" and (
                args.live == "none" or (args.live, label) == ("month", "1 year")
            ):
                continue
            q = f"{period}&source={source}"
            timing(
                f"API outcomes {label} [{source}]",
                lambda q=q: client.get(f"/api/v1/metrics/outcomes/?{q}"),
            )
            timing(
                f"API outcomes {label}, one service [{source}]",
                lambda q=q: client.get(f"/api/v1/metrics/outcomes/?{q}&service_id={service}"),
            )
            if source == "live" and label == "1 year":
                continue  # minutes per call at a million incidents: the API calls say enough
            timing(f"page /metrics/ {label} [{source}]", lambda q=q: client.get(f"/metrics/?{q}"))
            timing(
                f"chart restore-trend {label} [{source}]",
                lambda q=q: client.get(f"/metrics/chart/restore-trend.svg?{q}"),
            )
            timing(
                f"CSV restore {label} [{source}]",
                lambda q=q: client.get(f"/metrics/export/restore.csv?{q}"),
            )
            timing(
                f"page /metrics/review/ {label}, one service [{source}]",
                lambda q=q: client.get(f"/metrics/review/?{q}&service_id={service}"),
            )
            for name, url in (
                ("API sla", "/api/v1/metrics/sla/"),
                ("API side-by-side", "/api/v1/metrics/side-by-side/"),
                ("page /metrics/sla/", "/metrics/sla/"),
                ("page /metrics/side-by-side/", "/metrics/side-by-side/"),
                ("chart sla-by-priority", "/metrics/chart/sla-by-priority.svg"),
                ("chart side-by-side", "/metrics/chart/side-by-side.svg"),
                ("CSV sla-breaches", "/metrics/export/sla-breaches.csv"),
                ("CSV side-by-side", "/metrics/export/side-by-side.csv"),
                ("API fairness", "/api/v1/metrics/fairness/"),
                ("page /metrics/exceptions/", "/metrics/exceptions/"),
                ("CSV queue-jumps", "/metrics/export/queue-jumps.csv"),
            ):
                timing(f"{name} {label} [{source}]", lambda q=q, u=url: client.get(f"{u}?{q}"))

    run("live")
    if not args.no_rollup_build:
        start = time.perf_counter()
        facts = metrics_services.rollup_rebuild_all()
        days = RollupDay.objects.count()
        print(
            f"{f'rollup build, set-wise ({days} days, {facts} facts)':<64} "
            f"{time.perf_counter() - start:7.1f} s"
        )
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for table in ("metrics_incidentfact", "metrics_eventfact", "metrics_queuejumpfact"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"{'vacuum analyze of the facts':<64} {time.perf_counter() - start:7.1f} s")
        start = time.perf_counter()
        one_day = today - timedelta(days=3)
        metrics_services.rollup_rebuild_day(day=one_day)
        print(
            f"{'rollup rebuild of one day (the sweep unit)':<64} "
            f"{time.perf_counter() - start:7.1f} s"
        )
    run("rollup")
    timing = partial(selected, repeat=args.repeat)
    for label, period in (("30 days", month), ("1 year", year)):
        timing(f"API changes {label}", lambda p=period: client.get(f"/api/v1/metrics/changes/?{p}"))
        timing(
            f"page /metrics/changes/ {label}", lambda p=period: client.get(f"/metrics/changes/?{p}")
        )
        timing(
            f"API exceptions {label}",
            lambda p=period: client.get(f"/api/v1/metrics/exceptions/?{p}"),
        )


if __name__ == "__main__":
    main()
