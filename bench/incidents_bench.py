#!/usr/bin/env python
"""Benchmark: incident services and the busiest reads with many rows.

    .venv/bin/python bench/incidents_bench.py [--incidents 5000]

Uses a scratch SQLite file unless DATABASE_URL is set (PostgreSQL: a scratch database
``<name>_bench`` is created and dropped). Prints operations per second for the services and
median / p95 milliseconds plus the query count for each read.
"""

import argparse
import time

from django.db import connection
from django.test import Client
from harness import prepare_database, timed  # sets Django up: import it before Django

from incidents import services
from org import demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=5000)
    args = parser.parse_args()
    prepare_database()
    org = demo.seed()
    analyst, requester = org.users["alice"], org.users["hannah"]
    team, service = org.teams["service-desk"], org.services["printing"]
    service.owner_team = team  # so the analyst's team owns every benchmark incident
    service.save()
    print(f"database: {connection.vendor}; incidents: {args.incidents}")

    start = time.perf_counter()
    created = [
        services.incident_create(
            actor=requester,
            title=f"Printer issue {i}",
            service=service,
            impact=1 + i % 4,
            urgency=1 + (i // 4) % 4,
        )
        for i in range(args.incidents)
    ]
    elapsed = time.perf_counter() - start
    print(f"{'incident_create':<48} {args.incidents / elapsed:7.0f} /s")
    start = time.perf_counter()
    sample = created[: min(500, len(created))]
    for incident in sample:
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
        services.incident_start(incident=incident, actor=analyst)
        services.incident_resolve(incident=incident, actor=analyst, code="fixed", notes="ok")
    elapsed = time.perf_counter() - start
    print(f"{'assign + start + resolve (3 transitions)':<48} {len(sample) * 3 / elapsed:7.0f} /s")
    for incident in created[500:1500]:
        services.incident_assign(incident=incident, actor=analyst, team=team)

    api, page = Client(), Client()
    api.force_login(analyst)
    page.force_login(analyst)
    timed("GET /api/v1/incidents/?page_size=50", lambda: api.get("/api/v1/incidents/?page_size=50"))
    timed(
        "GET /api/v1/incidents/?status=assigned&priority=1",
        lambda: api.get("/api/v1/incidents/?status=assigned&priority=1&page_size=50"),
    )
    timed(
        "GET /api/v1/incidents/?q=Printer issue 42",
        lambda: api.get("/api/v1/incidents/?q=Printer+issue+42"),
    )
    incident = created[0]
    timed(
        "GET /api/v1/incidents/{id}/events/",
        lambda: api.get(f"/api/v1/incidents/{incident.pk}/events/"),
    )
    for tab in ("mine", "unassigned", "team", "breaching"):
        timed(f"GET /queue/{tab}/", lambda tab=tab: page.get(f"/queue/{tab}/"))
    requester_page = Client()
    requester_page.force_login(requester)
    timed("GET /incidents/mine/ (requester)", lambda: requester_page.get("/incidents/mine/"))
    timed("GET /incidents/{id}/ (analyst)", lambda: page.get(f"/incidents/{incident.pk}/"))


if __name__ == "__main__":
    main()
