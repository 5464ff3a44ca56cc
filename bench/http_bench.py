#!/usr/bin/env python
"""Benchmark: HTTP throughput under gunicorn on PostgreSQL — the incident API list (25 rows) and
a trivial authenticated endpoint (``/api/v1/me/``) in the same run, and their ratio.

    DATABASE_URL=postgres://... nice .venv/bin/python bench/http_bench.py \
        [--incidents 100000 | --scale] [--seconds 15] [--connections 8] [--workers 2] [--port 8092]

Loads ``--incidents`` incidents spread over the demo organisation's people, teams and services
(statuses, priorities and SLA rows mixed as in a live desk) with bulk inserts, signs an analyst
in (a session cookie), starts ``gunicorn servicedesk.wsgi`` (``--workers``, CONN_MAX_AGE=60,
the API rate limits raised out of the way) on the scratch database, and drives each URL with
wrk (Debian's ``wrk``; ``apt-get install wrk``) after a warm-up. Prints requests/s, latency
and the share of non-2xx answers of each, and list / trivial.

``--scale`` loads nothing: it reads the database ``bench/datagen.py`` loaded (``<name>_scale``,
as ``bench/scale_bench.py`` does), read-only — every connection, the bench's and gunicorn's, runs
in read-only transactions (``default_transaction_read_only``), and the analyst (the first member
of team ``scale-team-0``) is signed in with a signed-cookie session
(``bench/http_bench_settings.py``), so no session row and no last-login time is written.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

SCALE = "--scale" in sys.argv[1:]
if SCALE:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import datagen

    # the shared 1M database: read-only for this process and for gunicorn
    os.environ["DATABASE_URL"] = (
        datagen.use_scale_database() + "?options=-c%20default_transaction_read_only%3Don"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "http_bench_settings"

from django.conf import settings  # noqa: E402 (after the --scale database is chosen)
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from harness import ROOT, prepare_database  # noqa: E402 (sets Django up: before Django)

from incidents.models import Incident, IncidentSla  # noqa: E402
from org import demo  # noqa: E402
from org.models import Team, User  # noqa: E402

CHUNK = 5000
STATUSES = ["new", "assigned", "in_progress", "pending", "resolved", "closed", "closed", "closed"]


def load(count: int) -> None:
    org = demo.seed()
    people = list(User.objects.filter(is_active=True).order_by("pk"))
    teams = list(org.teams.values())
    services = list(org.services.values())
    agents = [u for u in people if u.memberships.exists()]
    now = timezone.now()
    made = 0
    while made < count:
        n = min(CHUNK, count - made)
        rows = []
        for i in range(made, made + n):
            status = STATUSES[i % len(STATUSES)]
            created = now - timedelta(minutes=3 * (count - i))
            done = status in ("resolved", "closed")
            rows.append(
                Incident(
                    title=f"Printer on floor {i % 9} jams ({i})",
                    description="Every second page jams; tried another tray.",
                    requester=people[i % len(people)],
                    reported_by=people[i % len(people)],
                    service=services[i % len(services)],
                    team=None if status == "new" else teams[i % len(teams)],
                    assignee=None if status == "new" else agents[i % len(agents)],
                    status=status,
                    pending_reason="vendor" if status == "pending" else "",
                    impact=1 + i % 4,
                    urgency=1 + (i // 4) % 4,
                    priority=1 + (i // 3) % 4,
                    created_at=created,
                    due_at=created + timedelta(days=2),
                    resolved_at=created + timedelta(hours=5) if done else None,
                    closed_at=created + timedelta(days=6) if status == "closed" else None,
                    resolution_code="fixed" if done else "",
                )
            )
        created_rows = Incident.objects.bulk_create(rows)
        IncidentSla.objects.bulk_create(
            IncidentSla(
                incident=row,
                started_at=row.created_at,
                response_target=timedelta(hours=1),
                resolution_target=timedelta(days=2),
                response_due_at=row.created_at + timedelta(hours=1),
                resolution_due_at=row.created_at + timedelta(days=2),
                stopped_at=row.resolved_at,
                computed_at=row.created_at,
            )
            for row in created_rows
        )
        made += n
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def signed_session(user: User) -> str:
    """A session cookie value signing ``user`` in, written nowhere (signed-cookie sessions):
    what ``login()`` stores, without its last-login update."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return str(store.session_key)


def wait_for(url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds:.0f} s")


def wrk(url: str, cookie: str, *, seconds: int, connections: int) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", cookie, url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "requests": total,
        "bad": int(bad.group(1)) if bad else 0,
        "median_ms": float(median.group(1)) * scale[median.group(2)] if median else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument(
        "--scale", action="store_true", help="read the bench/datagen.py database; load nothing"
    )
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8092")))
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("http_bench runs on PostgreSQL: set DATABASE_URL=postgres://...")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    if args.scale:
        print(
            f"database: {settings.DATABASES['default']['NAME']} (read-only); "
            f"{Incident.objects.count():,} incidents"
        )
        analyst = Team.objects.get(slug="scale-team-0").members.order_by("pk").first()
        assert analyst is not None
        cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={signed_session(analyst)}"
    else:
        prepare_database()
        t0 = time.perf_counter()
        load(args.incidents)
        print(
            f"database: {settings.DATABASES['default']['NAME']}; {Incident.objects.count():,} "
            f"incidents loaded in {time.perf_counter() - t0:.0f} s"
        )
        analyst = User.objects.get(username="alice")
        client = Client()
        client.force_login(analyst)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={session}"
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"]
        if args.scale
        else f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        "CONN_MAX_AGE": "60",
        "DEBUG": "false",
        "API_RATE_PER_TOKEN": "10000000/minute",
        "API_RATE_PER_IP": "10000000/minute",
    }
    if args.scale:
        env["PYTHONPATH"] = str(ROOT / "bench")  # http_bench_settings
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "servicedesk.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"{base}/healthz")
        results = {}
        for label, path in (
            ("trivial: GET /api/v1/me/", "/api/v1/me/"),
            ("list: GET /api/v1/incidents/?page_size=25", "/api/v1/incidents/?page_size=25"),
        ):
            wrk(base + path, cookie, seconds=3, connections=args.connections)  # warm-up
            result = wrk(base + path, cookie, seconds=args.seconds, connections=args.connections)
            results[label] = result
            print(
                f"{label:<44} {result['rps']:8.1f} req/s   median {result['median_ms']:7.1f} ms"
                f"   ({result['requests']:,} requests, {result['bad']} not 2xx)"
            )
        trivial, listing = results.values()
        print(f"{'list / trivial':<44} {listing['rps'] / trivial['rps']:8.0%}")
        print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        server.terminate()
        server.wait(timeout=30)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
