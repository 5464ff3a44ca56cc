#!/usr/bin/env python
"""Data generator: N incidents with realistic history in a scratch PostgreSQL database.

    DATABASE_URL=postgres://…/sd nice .venv/bin/python bench/datagen.py [--incidents 1000000]
    DATABASE_URL=postgres://…/sd .venv/bin/python bench/datagen.py --drop

Loads into ``<name>_scale`` (created afresh; the database DATABASE_URL names, and the test
databases, are never touched), so ``bench/scale_bench.py`` can time the lists at that size as
often as needed; ``--drop`` removes the scratch database. Everything is written by the database
itself (``INSERT … SELECT`` over ``generate_series``): a million incidents with 6.5 million
events and 1.8 million comments load in a few minutes on two cores.

What is loaded: the demo organisation plus 2,000 people (200 of them analysts in 12 teams, with
a lead each) and 24 services; N incidents over three years, most of them closed, with a
realistic open backlog (about 2 %: new, assigned, in progress, pending; a few without a team,
in triage), priorities P1 2 % / P2 10 % / P3 50 % / P4 38 %, due times by priority, SLA clocks
on the open ones; on average 6.5 events and 1.8 comments (a third of them internal notes) per
incident, a watcher on one in ten; N / 500 problems, 3 % of incidents linked to one. Titles and
descriptions are drawn from an IT vocabulary: every description names a host (``host-<k>``,
``k`` < 100,000 — a word that finds about N / 100,000 rows) and 60 % of them contain the word
"please" (a search that matches 60 % of the table).
"""

import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg


def scale_database_url() -> str:
    """DATABASE_URL with the database name suffixed ``_scale``."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("datagen: DATABASE_URL must name a PostgreSQL database")
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "servicedesk"
    if not name.endswith("_scale"):
        name = f"{name}_scale"
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(url: str) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str, *, create: bool = True) -> None:
    with _admin_connection(url) as admin:
        name = _db_name(url)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')


def use_scale_database() -> str:
    """Point this process at the scratch database (call before Django is set up)."""
    url = scale_database_url()
    os.environ["DATABASE_URL"] = url
    return url


SUBJECTS = [
    "Printer",
    "VPN",
    "Laptop",
    "Outlook",
    "Wi-Fi",
    "Password",
    "Teams call",
    "SAP login",
    "Monitor",
    "Docking station",
    "Shared drive",
    "Payroll report",
    "Badge reader",
    "Phone",
    "CRM",
    "Website",
    "Backup job",
    "Database",
    "Scanner",
    "Calendar",
]
SYMPTOMS = [
    "not working",
    "very slow",
    "keeps crashing",
    "cannot connect",
    "error on start",
    "access denied",
    "shows wrong data",
    "stopped syncing",
    "freezes",
    "needs reset",
]


def _sql_array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def _pick(words: list[str], seed: str) -> str:
    return f"({_sql_array(words)})[1 + floor({seed} * {len(words)})::int]"


def load(n: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from org import demo
    from org.models import BusinessService, Team, TeamMembership, User

    org = demo.seed()
    now = timezone.now()
    cur = connection.cursor()
    step = time.perf_counter()

    def done(what: str) -> None:
        nonlocal step
        print(f"  {what:<52} {time.perf_counter() - step:7.1f} s", flush=True)
        step = time.perf_counter()

    # --- people, teams, services -------------------------------------------------------------
    password = make_password(None)  # unusable
    cur.execute(
        "INSERT INTO org_user (password, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined, display_name, job_title, seniority_band, is_vip, "
        "time_zone, is_away, updated_at) "
        "SELECT %s, false, 'person' || g, 'Person', 'No ' || g, 'person' || g || '@example.com', "
        "false, true, %s, 'Person No ' || g, 'Staff', 'staff', g %% 97 = 0, 'Europe/London', "
        "false, %s FROM generate_series(1, 2000) g",
        [password, now, now],
    )
    people = list(
        User.objects.filter(username__startswith="person")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    analysts = people[:200]
    calendar = org.calendars["office"]
    teams = list(org.teams.values())
    for i in range(12):
        team, _ = Team.objects.get_or_create(
            slug=f"scale-team-{i}",
            defaults={
                "name": f"Scale team {i}",
                "lead_id": analysts[i],
                "calendar": calendar,
                "email": f"scale-team-{i}@example.com",
            },
        )
        teams.append(team)
    scale_teams = teams[-12:]
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(team=scale_teams[i % 12], user_id=pk)
            for i, pk in enumerate(analysts[12:])
        ],
        ignore_conflicts=True,
    )
    services = list(org.services.values())
    for i in range(24 - len(services)):
        service, _ = BusinessService.objects.get_or_create(
            slug=f"scale-service-{i}",
            defaults={"name": f"Scale service {i}", "owner_team": scale_teams[i % 12]},
        )
        services.append(service)
    # a service's owner team, as an array indexed like the services
    service_ids = [s.pk for s in services]
    owner_ids = [s.owner_team_id for s in services]
    analyst_ids = analysts[12:]
    done("people, teams, services")

    # --- problems -----------------------------------------------------------------------------
    n_problems = max(20, n // 500)
    cur.execute(
        "INSERT INTO incidents_problem (title, description, status, owner_team_id, "  # noqa: S608
        "created_by_id, root_cause, workaround, workaround_published_at, permanent_fix, "
        "fix_change_ref, created_at, updated_at, resolved_at, closed_at) "
        f"SELECT {_pick(SUBJECTS, 'random()')} || ' fails repeatedly (' || g || ')', "
        "'Several incidents with the same cause.', "
        "(ARRAY['new','investigating','known_error','resolved','closed','closed'])"
        "[1 + floor(random() * 6)::int], (%s::bigint[])[1 + floor(random() * %s)::int], "
        "(%s::bigint[])[1 + floor(random() * %s)::int], '', "
        "CASE WHEN g %% 3 = 0 THEN 'Restart the service.' ELSE '' END, "
        "CASE WHEN g %% 3 = 0 THEN %s::timestamptz END, '', '', "
        "%s::timestamptz - random() * interval '1000 days', %s, NULL, NULL "
        "FROM generate_series(1, %s) g",
        [
            owner_ids,
            len(owner_ids),
            analyst_ids,
            len(analyst_ids),
            now,
            now,
            now,
            n_problems,
        ],
    )
    cur.execute("SELECT min(id), max(id) FROM incidents_problem")
    p_lo, p_hi = cur.fetchone()
    done(f"{n_problems} problems")

    # --- incidents ----------------------------------------------------------------------------
    # r: status draw, a: age draw (most tickets are old), s: service, h: host, w: wording
    title = f"{_pick(SUBJECTS, 'w1')} || ' ' || {_pick(SYMPTOMS, 'w2')}"
    description = (
        "CASE WHEN w3 < 0.6 THEN 'Hello, please have a look: ' ELSE 'Reported by phone: ' END "
        f"|| lower({_pick(SUBJECTS, 'w2')}) || ' ' || {_pick(SYMPTOMS, 'w1')} "
        "|| ' since this morning on host-' || h || ', floor ' || (g %% 12)"
    )
    status = (
        "CASE WHEN age < interval '3 days' THEN "
        "(ARRAY['new','new','assigned','assigned','in_progress','in_progress','in_progress',"
        "'pending','resolved','resolved'])[1 + floor(r * 10)::int] "
        "WHEN age < interval '30 days' THEN CASE WHEN r < 0.04 THEN 'in_progress' "
        "WHEN r < 0.06 THEN 'pending' WHEN r < 0.07 THEN 'assigned' WHEN r < 0.15 THEN "
        "'resolved' WHEN r < 0.18 THEN 'cancelled' ELSE 'closed' END "
        "ELSE CASE WHEN r < 0.006 THEN 'in_progress' WHEN r < 0.009 THEN 'pending' "
        "WHEN r < 0.04 THEN 'cancelled' ELSE 'closed' END END"
    )
    priority = "CASE WHEN p < 0.02 THEN 1 WHEN p < 0.12 THEN 2 WHEN p < 0.62 THEN 3 ELSE 4 END"
    cur.execute(
        "CREATE TEMP TABLE gen AS SELECT g, random() r, random() p, "
        "%s::timestamptz - make_interval(secs => 94608000 * power(random(), 1.6)) created, "
        "1 + floor(random() * %s)::int s, floor(random() * 100000)::int h, "
        "random() w1, random() w2, random() w3, random() x FROM generate_series(1, %s) g",
        [now, len(service_ids), n],
    )
    cur.execute("CREATE TEMP TABLE gen2 AS SELECT *, %s::timestamptz - created age FROM gen", [now])
    cur.execute("DROP TABLE gen")
    cur.execute(
        "INSERT INTO incidents_incident (title, description, requester_id, reported_by_id, "  # noqa: S608
        "channel, service_id, category_id, impact, urgency, priority, team_id, assignee_id, "
        "status, assignment_source, routing_rule_id, rules_team_id, team_source, pending_reason, "
        "affected_users, is_major, matrix_priority, queue_rank, queue_source, priority_source, "
        "workaround, resolution_code, resolution_notes, problem_id, merged_into_id, created_at, "
        "updated_at, due_at, first_response_at, resolved_at, closed_at, reopened_count, "
        "requester_replied_at) "
        f"SELECT {title}, {description}, requester, requester, "
        "(ARRAY['portal','portal','portal','email','phone','chat','api'])"
        "[1 + floor(w3 * 7)::int], service_id, NULL, 3, 3, prio, "
        "CASE WHEN st = 'new' AND x < 0.3 THEN NULL ELSE owner END, "
        "CASE WHEN st = 'new' THEN NULL ELSE (%s::bigint[])[1 + floor(x * %s)::int] END, "
        "st, CASE WHEN st = 'new' THEN '' ELSE 'manual' END, NULL, NULL, '', "
        "CASE WHEN st = 'pending' THEN (ARRAY['requester','vendor','change'])"
        "[1 + floor(x * 3)::int] ELSE '' END, "
        "CASE WHEN x < 0.05 THEN 10 + floor(x * 4000)::int ELSE 1 END, prio = 1 AND x < 0.002, "
        "prio, 0, 'order', 'matrix', '', "
        "CASE WHEN st IN ('resolved', 'closed') THEN 'fixed' ELSE '' END, "
        "CASE WHEN st IN ('resolved', 'closed') THEN 'Fixed.' ELSE '' END, "
        "CASE WHEN x > 0.97 THEN %s + floor((x - 0.97) / 0.03 * (%s - %s))::bigint END, NULL, "
        "created, "
        "CASE WHEN st IN ('resolved', 'closed', 'cancelled') THEN resolved ELSE "
        "least(%s::timestamptz, created + interval '1 hour' * (1 + 40 * x)) END, "
        "created + (ARRAY[interval '4 hours', interval '8 hours', interval '3 days', "
        "interval '10 days'])[prio], "
        "CASE WHEN st <> 'new' THEN created + interval '20 minutes' END, "
        "CASE WHEN st IN ('resolved', 'closed') THEN resolved END, "
        "CASE WHEN st = 'closed' THEN resolved + interval '5 days' END, "
        "CASE WHEN x < 0.04 THEN 1 ELSE 0 END, "
        "CASE WHEN st IN ('in_progress', 'assigned') AND x < 0.1 THEN created + interval '1 day' "
        "END "
        "FROM (SELECT g, h, w1, w2, w3, x, created, age, "
        "(%s::bigint[])[s] service_id, (%s::bigint[])[s] owner, "
        "(%s::bigint[])[1 + floor(w3 * %s)::int] requester, "
        f"{priority} prio, {status} st, "
        "least(%s::timestamptz, created + make_interval(secs => 1800 * exp(x * ln(192)))) "
        "resolved FROM gen2) t ORDER BY created",
        [
            analyst_ids,
            len(analyst_ids),
            p_lo,
            p_hi,
            p_lo,
            now,
            service_ids,
            owner_ids,
            people,
            len(people),
            now,
        ],
    )
    cur.execute("DROP TABLE gen2")
    done(f"{n} incidents")

    # --- history: 6.5 events and 1.8 comments per incident ------------------------------------
    types = [
        "incident.created",
        "incident.assigned",
        "incident.started",
        "incident.commented",
        "incident.priority_changed",
        "incident.assigned",
        "incident.commented",
        "incident.pended",
        "incident.resumed",
        "incident.commented",
    ]
    cur.execute(
        "INSERT INTO incidents_incidentevent (incident_id, type, actor_id, actor_name, "  # noqa: S608
        "from_status, to_status, reason, payload, is_internal, created_at) "
        f"SELECT i.id, ({_sql_array(types)})[k], coalesce(i.assignee_id, i.requester_id), "
        "'Scale bench', '', '', '', '{}'::jsonb, k %% 4 = 0, "
        "least(i.updated_at, i.created_at + (k - 1) * interval '37 minutes') "
        "FROM incidents_incident i, generate_series(1, 3 + (i.id %% 8)::int) k",
        [],
    )
    done("events")
    cur.execute(
        "INSERT INTO incidents_incidentcomment (incident_id, author_id, body, is_internal, "
        "created_at) SELECT i.id, CASE WHEN k %% 2 = 1 THEN i.requester_id ELSE "
        "coalesce(i.assignee_id, i.requester_id) END, "
        "CASE WHEN k %% 2 = 1 THEN 'Any news on this? It still happens on host-' || "
        "(i.id * 7 %% 100000) ELSE 'Checked the logs, restarting the service now.' END, "
        "k %% 3 = 0, i.created_at + k * interval '2 hours' "
        "FROM incidents_incident i, "
        "generate_series(1, (ARRAY[0, 1, 2, 3, 3])[1 + (i.id %% 5)::int]) k",
        [],
    )
    done("comments")
    cur.execute(
        "INSERT INTO incidents_incident_watchers (incident_id, user_id) "
        "SELECT id, (%s::bigint[])[1 + (id %% %s)::int] FROM incidents_incident "
        "WHERE id %% 10 = 0",
        [people, len(people)],
    )
    cur.execute(
        "INSERT INTO incidents_incidentsla (incident_id, policy_name, calendar_id, started_at, "
        "response_target, resolution_target, response_due_at, resolution_due_at, "
        "response_at_risk_at, resolution_at_risk_at, response_elapsed, resolution_elapsed, "
        "responded_at, stopped_at, paused_since, pause_reason, computed_at, next_check_at) "
        "SELECT id, 'Standard', NULL, created_at, interval '1 hour', due_at - created_at, "
        "created_at + interval '1 hour', due_at, created_at + interval '45 minutes', "
        "due_at - (due_at - created_at) / 4, "
        # what a 24 x 7 clock has spent until the load (until its pause, for one on hold):
        # consistent with its due instants, as the services compute it, so the business time
        # left ("breaching soon"'s order, the time left shown) agrees with the due times
        "GREATEST(LEAST(COALESCE(first_response_at, until.at), until.at) - created_at, "
        "interval '0'), GREATEST(until.at - created_at, interval '0'), first_response_at, "
        "NULL, CASE WHEN status = 'pending' THEN updated_at END, "
        "CASE WHEN status = 'pending' THEN pending_reason ELSE '' END, %(now)s, due_at "
        "FROM incidents_incident, LATERAL "
        "(SELECT CASE WHEN status = 'pending' THEN updated_at ELSE %(now)s END AS at) until "
        "WHERE status IN ('new', 'assigned', 'in_progress', 'pending')",
        {"now": now},
    )
    done("watchers, SLA clocks of open incidents")
    from incidents.search import DOCUMENT_SQL

    # every incident's search document, as the services keep it (the GIN index built after)
    cur.execute("DROP INDEX inc_search_document_idx")
    cur.execute(DOCUMENT_SQL)
    cur.execute(
        "CREATE INDEX inc_search_document_idx ON incidents_incident USING gin (search_document)"
    )
    done("search documents")
    cur.execute("VACUUM ANALYZE")
    done("vacuum analyze")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--drop", action="store_true", help="drop the scratch database and stop")
    args = parser.parse_args()
    url = scale_database_url()
    if args.drop:
        recreate_database(url, create=False)
        print(f"dropped {_db_name(url)}")
        return
    recreate_database(url)
    use_scale_database()
    import harness  # noqa: F401  (sets Django up on the scratch database)
    from django.core.management import call_command

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"database {_db_name(url)}: migrated in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    load(args.incidents)
    from django.db import connection

    with connection.cursor() as cur:
        counts = {}
        for table in (
            "incidents_incident",
            "incidents_incidentevent",
            "incidents_incidentcomment",
            "incidents_problem",
            "org_user",
        ):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
            counts[table] = cur.fetchone()[0]
    print(f"loaded in {time.perf_counter() - start:.1f} s: {counts}")


if __name__ == "__main__":
    main()
