#!/usr/bin/env python
"""Benchmark: every incident and problem list, queue tab and search at the size loaded by
``bench/datagen.py`` (in-process, through Django's test client).

    DATABASE_URL=postgres://…/sd nice .venv/bin/python bench/datagen.py --incidents 1000000
    DATABASE_URL=postgres://…/sd .venv/bin/python bench/scale_bench.py [--repeat 30]

Reads ``<name>_scale`` (never writes to it). Prints each request's median and p95 in
milliseconds and its query count; ``--only WORD`` times only the requests whose label
contains WORD. The bar (issue 9): median ≤ 50 ms, p95 ≤ 100 ms, query counts the same at every
size.
"""

import argparse
import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datagen

datagen.use_scale_database()
import harness  # noqa: E402  (sets Django up on the scratch database)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from incidents.models import Incident, Problem  # noqa: E402
from org.models import Team, User  # noqa: E402


def follow(client: Client, url: str, pages: int) -> str:
    """The URL of the page ``pages`` pages further (by the ``next`` links), or ``?page=N``
    for page-number pagination."""
    for _ in range(pages - 1):
        body = client.get(url).json()
        nxt = body.get("next")
        if not nxt:
            break
        if "cursor=" not in nxt:
            return f"{url}&page={pages}"
        parts = urlsplit(nxt)
        url = f"{parts.path}?{parts.query}"
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="")
    parser.add_argument("--deep", type=int, default=1000, help="page depth of the deep page")
    args = parser.parse_args()
    # The test client's host, without setup_test_environment(): that also instruments every
    # template render (a signal per template, the client copying each context), which a
    # server does not do (1-2 ms a queue page).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # the API rate limits out of the way (still checked on every request, as in production)
    unlimited = "10000000/minute"
    settings.API_RATE_PER_TOKEN = settings.API_RATE_PER_IP = unlimited
    logging.disable(logging.WARNING)
    settings.DEBUG = False
    n = Incident.objects.count()
    team = Team.objects.get(slug="scale-team-0")
    analyst = team.members.order_by("pk").first()
    requester = (
        User.objects.filter(username__startswith="person", incidents_requested__isnull=False)
        .order_by("pk")
        .first()
    )
    admin = User.objects.get(username="admin")
    busy = Incident.objects.filter(assignee__isnull=False).order_by("-pk").first()
    assert busy is not None and requester is not None and analyst is not None
    print(
        f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}; "
        f"incidents: {n}; problems: {Problem.objects.count()}"
    )
    api, page, own = Client(), Client(), Client()
    api.force_login(admin)
    page.force_login(analyst)
    own.force_login(requester)

    def run(label: str, client: Client, url: str) -> None:
        if args.only and args.only not in label:
            return
        harness.timed(label, lambda: client.get(url), repeat=args.repeat, width=60)

    inc = "/api/v1/incidents/"
    deep = (
        follow(api, f"{inc}?page_size=50", args.deep)
        if not args.only or "deep" in args.only
        else ""
    )
    requests: list[tuple[str, Any, str]] = [
        ("API incidents: all", api, inc),
        ("API incidents: open", api, f"{inc}?open=true"),
        ("API incidents: team_id", api, f"{inc}?team_id={team.pk}"),
        ("API incidents: team_id, open", api, f"{inc}?team_id={team.pk}&open=true"),
        ("API incidents: assignee_id", api, f"{inc}?assignee_id={busy.assignee_id}"),
        ("API incidents: status=pending", api, f"{inc}?status=pending"),
        ("API incidents: status=closed", api, f"{inc}?status=closed"),
        ("API incidents: priority=1", api, f"{inc}?priority=1"),
        ("API incidents: ordering=priority", api, f"{inc}?ordering=priority"),
        ("API incidents: ordering=-priority", api, f"{inc}?ordering=-priority"),
        ("API incidents: ordering=due", api, f"{inc}?ordering=due"),
        ("API incidents: ordering=-updated", api, f"{inc}?ordering=-updated"),
        ("API incidents: ordering=status", api, f"{inc}?ordering=status"),
        ("API incidents: open, ordering=priority", api, f"{inc}?open=true&ordering=priority"),
        ("API incidents: q=host-4242 (few rows)", api, f"{inc}?q=host-4242"),
        ("API incidents: q=please (60 % of rows)", api, f"{inc}?q=please"),
        ("API incidents: q=vpn slow", api, f"{inc}?q=vpn+slow"),
        (f"API incidents: page {args.deep} (page_size 50)", api, deep),
        ("API incidents: requester's own", Client(), f"{inc}"),
        ("API problems: all", api, "/api/v1/problems/"),
        ("API problems: status=investigating", api, "/api/v1/problems/?status=investigating"),
        ("API problems: q=printer", api, "/api/v1/problems/?q=printer"),
    ]
    for label, client, url in requests:
        if label == "API incidents: requester's own":
            client = Client()
            client.force_login(requester)
        if url:
            run(label, client, url)
    for tab in ("mine", "triage", "unassigned", "team", "breaching", "all"):
        run(f"page /queue/{tab}/", page, f"/queue/{tab}/")
    run("page /queue/all/?ordering=-created", page, "/queue/all/?ordering=-created")
    for ordering in ("due", "priority", "updated"):
        run(f"page /queue/team/?ordering={ordering}", page, f"/queue/team/?ordering={ordering}")
    run("page /incidents/mine/ (requester)", own, "/incidents/mine/")
    run("page /problems/", page, "/problems/")
    run("page /known-errors/", page, "/known-errors/")
    run("page ticket (analyst)", page, f"/incidents/{busy.pk}/")
    own_ticket = Incident.objects.filter(requester=requester).order_by("-pk").first()
    assert own_ticket is not None
    run("page ticket (its requester)", own, f"/incidents/{own_ticket.pk}/")


if __name__ == "__main__":
    main()
