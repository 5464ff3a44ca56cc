"""Row locks shared by the change services."""

from changes.models import Change
from servicedesk import concurrency


def lock_change(change: Change | int) -> Change:
    """The change's row, locked until the surrounding transaction ends (PostgreSQL)."""
    pk = change.pk if isinstance(change, Change) else change
    locked = Change.objects.select_for_update(of=("self",)).select_related("template").get(pk=pk)
    concurrency.check_locked(locked)  # If-Match, compared under the lock
    return locked
