#!/usr/bin/env python
"""Benchmark: the incident ticket page (as an analyst) with many open problems, people and
teams: none of them is listed on the page any more (each is chosen by search), so the page
costs the same however many there are; and the chooser endpoints that search them.

    DATABASE_URL=postgres://... nice .venv/bin/python bench/ticket_page_bench.py \
        [--problems 5000] [--people 2000] [--teams 200] [--events 12]

Builds a ticket with ``--events`` comments (a realistic history) through the services, then
bulk-loads the problems, people (each in a team) and teams, and prints median / p95 ms and the
query count of each request (30 runs after a warm-up).
"""

import argparse

from django.db import connection
from django.test import Client
from harness import prepare_database, timed  # sets Django up: import it before Django

from incidents import services
from incidents.models import Problem
from org import demo
from org.models import Team, TeamMembership, User

CHUNK = 2000


def load(*, problems: int, people: int, teams: int, actor: User) -> None:
    made = Team.objects.bulk_create(
        Team(name=f"Bench team {k:04d}", slug=f"bench-team-{k}") for k in range(teams)
    )
    for start in range(0, people, CHUNK):
        users = User.objects.bulk_create(
            User(
                username=f"bench{k}",
                display_name=f"Bench Person {k}",
                email=f"bench{k}@example.com",
                password="!",  # noqa: S106 - unusable password
            )
            for k in range(start, min(people, start + CHUNK))
        )
        TeamMembership.objects.bulk_create(
            TeamMembership(team=made[i % len(made)], user=user) for i, user in enumerate(users)
        )
    for start in range(0, problems, CHUNK):
        Problem.objects.bulk_create(
            Problem(title=f"Bench problem {k}", created_by=actor)
            for k in range(start, min(problems, start + CHUNK))
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--problems", type=int, default=5000)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--events", type=int, default=12)
    args = parser.parse_args()
    prepare_database()
    org = demo.seed()
    analyst, requester = org.users["alice"], org.users["hannah"]
    team = org.teams["service-desk"]
    incident = services.incident_create(actor=requester, title="Printer on floor 2 jams")
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    for k in range(args.events):
        who = analyst if k % 2 else requester
        services.incident_comment(incident=incident, actor=who, body=f"Note {k}: tried again.")
    page = Client()
    page.force_login(analyst)
    url = f"/incidents/{incident.pk}/"
    print(f"database: {connection.vendor}; before loading anything")
    timed(f"GET {url} (analyst)", lambda: page.get(url))
    load(problems=args.problems, people=args.people, teams=args.teams, actor=analyst)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"with {args.problems:,} open problems, {args.people:,} more people in "
        f"{args.teams:,} more teams"
    )
    timed(f"GET {url} (analyst)", lambda: page.get(url))
    timed("GET /choose/problem/?q=bench 42", lambda: page.get("/choose/problem/?q=bench+42"))
    timed("GET /choose/assignee/?q=person 42", lambda: page.get("/choose/assignee/?q=person+42"))
    timed("GET /choose/team/?q=team 004", lambda: page.get("/choose/team/?q=team+004"))


if __name__ == "__main__":
    main()
