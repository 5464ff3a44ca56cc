#!/usr/bin/env python
"""Benchmark: incident services and the busiest reads with many rows.

    .venv/bin/python bench/incidents_bench.py [--incidents 5000]

Uses a scratch SQLite file unless DATABASE_URL is set (PostgreSQL: a scratch database
``<name>_bench`` is created and dropped). Prints operations per second for the services and
median / p95 milliseconds plus the query count for each read.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
os.environ.setdefault("SERVICEDESK_VAR_DIR", tempfile.mkdtemp(prefix="sd-bench-"))
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['SERVICEDESK_VAR_DIR']}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from incidents import services  # noqa: E402
from org import demo  # noqa: E402


def timed(label: str, fn, repeat: int = 30) -> None:  # type: ignore[no-untyped-def]
    samples = []
    count = [0]

    def counter(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    for _ in range(repeat):
        start = time.perf_counter()
        response = fn()
        samples.append((time.perf_counter() - start) * 1000)
    assert response.status_code == 200, (label, response.status_code)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"{label:<48} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms"
        f"   queries {count[0]:3d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=5000)
    args = parser.parse_args()
    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if connection.vendor == "postgresql":
        from django.test.utils import setup_databases

        setup_databases(verbosity=0, interactive=False)
    else:
        call_command("migrate", verbosity=0)
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
