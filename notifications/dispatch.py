"""The one place where notification work leaves for the broker.

Every caller (incident services today, other process apps later) goes through ``schedule``:
the work is recorded in the transactional outbox (``servicedesk.outbox``) inside the caller's
transaction, so a rolled-back change notifies nobody and a broker outage delays notices but
never loses them. The relay publishes it on commit, or the sweep does later."""

from typing import Any

from servicedesk import clock, outbox


def default_key(task: Any, *args: Any) -> str:
    """A stable name for the work: the task's name and its arguments (ids and JSON values)."""
    return ":".join([outbox.task_name(task), *(str(a) for a in args)])


def schedule(task: Any, *args: Any, key: str | None = None) -> None:
    """Record ``task(*args)`` (ids and JSON values only) to run once the current transaction
    commits. ``key`` names the notification (default: the task's name and its arguments):
    scheduling the same key twice records it once. Nothing is scheduled while the clock is
    pinned: what is recorded then is history."""
    if clock.is_pinned():
        return
    outbox.enqueue(task, key=key or default_key(task, *args), args=list(args))
