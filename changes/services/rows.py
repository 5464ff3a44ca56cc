"""Row locks shared by the change services."""

from changes.models import Change


def lock_change(change: Change | int) -> Change:
    """The change's row, locked until the surrounding transaction ends (PostgreSQL)."""
    pk = change.pk if isinstance(change, Change) else change
    return Change.objects.select_for_update(of=("self",)).select_related("template").get(pk=pk)
