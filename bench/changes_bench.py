#!/usr/bin/env python
"""Benchmark: change services, and the change list and calendar with many changes.

    .venv/bin/python bench/changes_bench.py [--changes 20000]

Uses a scratch SQLite file unless DATABASE_URL is set (PostgreSQL: the test database
``test_<name>`` is created for the run). A few hundred changes go through the real services
(create, submit, approve, schedule) to time them; the rest are bulk-inserted scheduled changes
spread over a year, each on one or two services. Prints median / p95 milliseconds and the query
count of each read: the counts must not grow with the number of changes.
"""

import argparse
import random
import time
from datetime import timedelta
from functools import partial

import harness  # sets Django up: import it before anything from Django
from django.db import connection
from django.test import Client
from django.utils import timezone

from changes import services
from changes.models import Change, ChangeAuthority
from org import demo

prepare_database = harness.prepare_database
timed = partial(harness.timed, width=56)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=20000)
    parser.add_argument("--through-services", type=int, default=300)
    args = parser.parse_args()
    prepare_database()
    org = demo.seed()
    users = org.users
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        ChangeAuthority.objects.get(slug=slug).members.set(
            [users[n] for n in ("netlead", "applead", "grace")]
        )
    requester, implementer, approver = users["omar"], users["omar"], users["grace"]
    service_list = list(org.services.values())
    now = timezone.now()
    rng = random.Random(7)
    print(f"database: {connection.vendor}; changes: {args.changes}")

    # --- the services ---------------------------------------------------------------------
    through = min(args.through_services, args.changes)
    start = time.perf_counter()
    made = []
    for i in range(through):
        begin = now + timedelta(days=10, hours=3 * i)
        made.append(
            services.change_create(
                actor=requester,
                title=f"Bench change {i}",
                category="application",
                services=[service_list[i % len(service_list)]],
                implementer=implementer,
                planned_start=begin,
                planned_end=begin + timedelta(hours=2),
                implementation_plan="Apply.",
                backout_plan="Revert.",
                test_plan="Tested.",
                impact_if_fails=4,
                complexity="low",
                tested=True,
                backout_tested=True,
                service_tier=4,
            )
        )
    elapsed = time.perf_counter() - start
    print(f"{'change_create':<56} {through / elapsed:7.0f} /s")
    start = time.perf_counter()
    for change in made:
        change = services.change_submit(change=change, actor=requester)
        change = services.change_approve(change=change, actor=approver)
        services.change_schedule(change=change, actor=requester)
    elapsed = time.perf_counter() - start
    print(f"{'submit + assess + approve + schedule (4 steps)':<56} {through * 4 / elapsed:7.0f} /s")

    # --- bulk rows for the reads -----------------------------------------------------------
    rest = args.changes - through
    rows = []
    for i in range(rest):
        begin = now - timedelta(days=180) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        rows.append(
            Change(
                title=f"Bulk change {i}",
                type="normal",
                category="infrastructure",
                requester=requester,
                implementer=implementer,
                status=rng.choice(["scheduled", "closed", "closed", "assessed", "draft"]),
                planned_start=begin,
                planned_end=begin + timedelta(hours=rng.choice([1, 2, 4])),
                risk_class=rng.choice(["low", "medium", "high"]),
                created_at=begin - timedelta(days=7),
            )
        )
    created = Change.objects.bulk_create(rows, batch_size=2000)
    through_model = Change.services.through
    links = []
    for change in created:
        for service in rng.sample(service_list, rng.choice([1, 2])):
            links.append(through_model(change_id=change.pk, businessservice_id=service.pk))
    through_model.objects.bulk_create(links, batch_size=5000)
    print(f"{'bulk-inserted changes':<56} {len(created):7d}")

    # --- the reads ---------------------------------------------------------------------------
    api, page = Client(), Client()
    api.force_login(approver)
    page.force_login(approver)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    calendar_url = (
        f"/api/v1/change-calendar/?start={month_start.strftime(iso)}&end={month_end.strftime(iso)}"
    )
    timed("GET /api/v1/changes/?page_size=50", lambda: api.get("/api/v1/changes/?page_size=50"))
    timed(
        "GET /api/v1/changes/?status=scheduled&risk_class=high",
        lambda: api.get("/api/v1/changes/?status=scheduled&risk_class=high&page_size=50"),
    )
    svc = service_list[0].pk
    timed(
        "GET /api/v1/changes/?service_id=…&ordering=planned_start",
        lambda: api.get(f"/api/v1/changes/?service_id={svc}&ordering=planned_start&page_size=50"),
    )
    timed(
        "GET /api/v1/changes/?q=Bulk change 42",
        lambda: api.get("/api/v1/changes/?q=Bulk+change+42"),
    )
    timed("GET /api/v1/change-calendar/ (one month)", lambda: api.get(calendar_url))
    timed("GET /api/v1/changes/inbox/", lambda: api.get("/api/v1/changes/inbox/"))
    timed("GET /changes/?page_size=50", lambda: page.get("/changes/?page_size=50"))
    day = now.date().isoformat()
    timed("GET /changes/calendar/?view=week", lambda: page.get(f"/changes/calendar/?date={day}"))
    timed(
        "GET /changes/calendar/?view=month",
        lambda: page.get(f"/changes/calendar/?view=month&date={day}"),
    )
    timed("GET /changes/inbox/", lambda: page.get("/changes/inbox/"))
    timed("GET /changes/{id}/", lambda: page.get(f"/changes/{made[0].pk}/"))


if __name__ == "__main__":
    main()
