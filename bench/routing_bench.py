#!/usr/bin/env python
"""Benchmark: routing decisions per second with 200 rules.

    .venv/bin/python bench/routing_bench.py [--rules 200] [--decisions 5000] [--routes 300]

1. The pure rules (``incidents.routing.evaluate``): 200 enabled rules mixing patterns, text,
   service, priority, channel, department and business-hours conditions in AND/OR groups,
   evaluated for incidents spread over a week; most incidents match late or not at all (the
   worst case walks every rule). No database.
2. The whole service (``incident_route``: lock the row, load the 200 rules and the facts,
   decide, apply, write the event and the outbox row) on a scratch database (SQLite, or
   PostgreSQL when DATABASE_URL names it), with the queries per routed incident.
"""

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness

from incidents import routing
from org.business_time import CalendarSpec

WORDS = ["vpn", "printer", "outlook", "wifi", "sap", "badge", "laptop", "teams", "payroll"]


def rule_bodies(count: int, rng: random.Random, ids: dict[str, list[int]]) -> list[dict]:
    bodies = []
    for i in range(count):
        word = f"{rng.choice(WORDS)}{i}"
        kind = i % 5
        if kind == 0:
            conditions = {"all": [{"field": "text", "op": "matches", "value": rf"\b{word}\b"}]}
        elif kind == 1:
            conditions = {
                "all": [
                    {"field": "title", "op": "contains", "value": word},
                    {"field": "priority", "op": "lte", "value": rng.randint(1, 4)},
                ]
            }
        elif kind == 2:
            conditions = {
                "any": [
                    {"field": "service", "op": "in", "value": [rng.choice(ids["service"])]},
                    {
                        "all": [
                            {"field": "channel", "op": "in", "value": ["phone", "chat"]},
                            {"field": "description", "op": "matches", "value": rf"{word}\s+down"},
                        ]
                    },
                ]
            }
        elif kind == 3:
            conditions = {
                "all": [
                    {"field": "requester_department", "op": "in", "value": ids["department"]},
                    {"field": "business_hours", "op": "is", "value": False},
                ]
            }
        else:
            conditions = {
                "all": [
                    {"field": "impact", "op": "in", "value": [1]},
                    {"field": "text", "op": "not_contains", "value": word},
                    {"field": "urgency", "op": "in", "value": [1]},
                ]
            }
        bodies.append(
            {
                "name": f"Rule {i}",
                "conditions": conditions,
                "actions": [{"type": "set_team", "team_id": rng.choice(ids["team"])}],
                "stop_on_match": True,
            }
        )
    return bodies


def pure(args: argparse.Namespace, rng: random.Random) -> None:
    ids = {"service": [101, 102], "department": [101], "team": list(range(1, 6))}
    rules = [
        routing.Rule(
            id=i,
            name=body["name"],
            conditions=routing.validate_conditions(body["conditions"]),
            actions=routing.validate_actions(body["actions"]),
        )
        for i, body in enumerate(rule_bodies(args.rules, rng, ids), start=1)
    ]
    office = CalendarSpec(
        "Europe/London", {d: [(clock(8), clock(18))] for d in range(5)}, frozenset()
    )
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    facts = []
    for n in range(args.decisions):
        word = f"{rng.choice(WORDS)}{rng.randrange(args.rules * 2)}"
        facts.append(
            (
                routing.Facts(
                    incident_id=n,
                    title=f"My {word} is not working since this morning",
                    description="It was fine yesterday. " * rng.randint(1, 20),
                    service_id=rng.randint(1, 19),
                    requester_department_id=rng.randint(1, 8),
                    impact=rng.randint(1, 4),
                    urgency=rng.randint(1, 4),
                    priority=rng.randint(1, 4),
                    channel=rng.choice(["portal", "email", "phone", "chat"]),
                    calendar_id=1,
                ),
                monday + timedelta(minutes=rng.randrange(7 * 24 * 60)),
            )
        )
    calendars = {1: office}
    for label in ("cold (patterns compiled on first use)", "warm"):
        matched = 0
        began = time.perf_counter()
        for fact, now in facts:
            matched += not routing.evaluate(fact, rules, now=now, calendars=calendars).is_empty
        seconds = time.perf_counter() - began
        print(
            f"pure evaluate, {args.rules} rules, {label:<38} "
            f"{args.decisions / seconds:10,.0f} decisions/s  "
            f"({matched} of {args.decisions} matched)"
        )


def service(args: argparse.Namespace, rng: random.Random) -> None:
    harness.prepare_database()
    from django.db import connection

    from incidents.models import Incident
    from incidents.services import routing as svc
    from incidents.services.lifecycle import incident_create
    from org.models import BusinessService, Department, Team, User

    owner = User.objects.create_superuser("bench-owner", "o@example.com", "pw")
    requester = User.objects.create_user("bench-requester", "r@example.com", "pw")
    teams = [Team.objects.create(name=f"Team {i}", slug=f"team-{i}") for i in range(5)]
    for team in teams:
        for j in range(4):
            team.members.add(User.objects.create_user(f"{team.slug}-m{j}", "", "pw"))
    unused = BusinessService.objects.create(name="Unused", slug="unused", owner_team=teams[0])
    nobody = Department.objects.create(name="Nobody", code="nobody")
    ids = {"service": [unused.pk], "department": [nobody.pk], "team": [t.pk for t in teams]}
    bodies = rule_bodies(args.rules, rng, ids)
    last = bodies[-1]
    last["conditions"] = {"all": [{"field": "title", "op": "contains", "value": "zebra"}]}
    last["actions"] = [
        {"type": "set_team", "team_id": teams[0].pk},
        {"type": "assign", "strategy": "round_robin"},
    ]
    for body in bodies:
        svc.routing_rule_create(actor=owner, is_enabled=True, **body)
    incidents = [
        incident_create(actor=requester, title=f"zebra crossing sensor {n} broken")
        for n in range(args.routes)
    ]
    count = [0]

    def counter(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        count[0] += 1
        return execute(sql, params, many, context)

    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        for incident in incidents:
            svc.incident_route(incident_id=incident.pk)
    seconds = time.perf_counter() - began
    routed = Incident.objects.filter(routing_rule__isnull=False).count()
    print(
        f"incident_route on {connection.vendor}, {args.rules} rules (matched by the last)   "
        f"{args.routes / seconds:10,.0f} routes/s  ({routed} routed, "
        f"{count[0] / args.routes:.1f} queries each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--routes", type=int, default=300)
    args = parser.parse_args()
    pure(args, random.Random(2026))
    service(args, random.Random(2026))


if __name__ == "__main__":
    main()
