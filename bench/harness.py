"""What every benchmark shares: Django set up on a scratch database (SQLite in a temporary var
directory unless DATABASE_URL names PostgreSQL, where pytest-style ``test_<name>`` is created),
and ``timed`` — median / p95 milliseconds and the query count of a request.

Import this module before anything from Django."""

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
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['SERVICEDESK_VAR_DIR']}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment  # noqa: E402


def prepare_database() -> None:
    """A migrated scratch database, fast password hashing, the test client's environment."""
    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if connection.vendor == "postgresql":
        # BENCH_TEST_DB names the scratch database (default: pytest's ``test_<name>``)
        if os.environ.get("BENCH_TEST_DB"):
            settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ[
                "BENCH_TEST_DB"
            ]
            connection.settings_dict.setdefault("TEST", {})["NAME"] = os.environ["BENCH_TEST_DB"]
        setup_databases(verbosity=0, interactive=False)
    else:
        call_command("migrate", verbosity=0)


def timed(label: str, fn, repeat: int = 30, width: int = 48) -> None:  # type: ignore[no-untyped-def]
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
        f"{label:<{width}} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms"
        f"   queries {count[0]:3d}"
    )
