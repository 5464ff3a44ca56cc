"""Input limits of the bypass process, defined once for forms and the API."""

from datetime import timedelta

JUSTIFICATION_MIN = 20
TEXT_MAX = 4000
MAX_ITEMS = 10
MAX_USES = 20
DEFAULT_VALIDITY = timedelta(hours=24)
RECURRENCE_DAYS = 90
SWEEP_BATCH = 200
# The review after use: due this long after the bypass ended; reminders once a day after.
REVIEW_DUE = timedelta(days=5)
REVIEW_REMIND_EVERY = timedelta(days=1)
MAX_REVIEW_LINKS = 10
PASSWORD_MAX = 256
