"""The only writers of change state. Each state-changing service opens a transaction, locks the
row, checks the transition table and the guards, saves the changed fields, appends its event in
the same transaction and schedules side effects on commit."""

from .approvals import (
    change_approve,
    change_decide,
    change_proceed_with_bypass,
    change_reject,
)
from .catalogue import (
    authority_save,
    freeze_create,
    freeze_lift,
    matrix_set,
    template_approve,
    template_propose,
    template_suspend,
    template_update,
)
from .lifecycle import (
    change_cancel,
    change_chase_documentation_due,
    change_close,
    change_complete,
    change_create,
    change_document,
    change_review,
    change_schedule,
    change_start,
    change_submit,
    change_update,
)
from .links import change_link_incidents

__all__ = [
    "authority_save",
    "change_approve",
    "change_cancel",
    "change_chase_documentation_due",
    "change_close",
    "change_complete",
    "change_create",
    "change_decide",
    "change_document",
    "change_link_incidents",
    "change_proceed_with_bypass",
    "change_reject",
    "change_review",
    "change_schedule",
    "change_start",
    "change_submit",
    "change_update",
    "freeze_create",
    "freeze_lift",
    "matrix_set",
    "template_approve",
    "template_propose",
    "template_suspend",
    "template_update",
]
