"""The one place where notification work leaves for the broker.

Every caller (incident services today, other process apps later) goes through ``schedule``:
the task runs on the ``notifications`` queue once the surrounding transaction commits, so a
rolled-back change notifies nobody. Moving to a transactional outbox changes this function's
body only."""

from typing import Any

from django.db import transaction

from servicedesk import clock


def schedule(task: Any, *args: Any) -> None:
    """Run ``task(*args)`` (ids and JSON values only) after the current transaction commits.
    Nothing is scheduled while the clock is pinned: what is recorded then is history."""
    if clock.is_pinned():
        return
    transaction.on_commit(lambda: task.delay(*args))
