"""Settings for ``bench/http_bench.py --scale``: the project's, with the session in a signed
cookie, so signing the analyst in writes no session row to the shared, read-only 1M database
(which the bench also opens in read-only transactions)."""

from servicedesk.settings import *  # noqa: F403

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
