"""The only writers of incident and problem state. Each state-changing service opens a
transaction, locks the row, checks the transition table and the guards, saves the changed
fields, appends its event in the same transaction and schedules side effects on commit."""

from .autoclose import incident_autoclose_due
from .config import priority_matrix_update
from .conversation import (
    incident_attach,
    incident_comment,
    incident_rate,
    incident_unwatch,
    incident_watch,
)
from .lifecycle import (
    incident_apply_value_gates,
    incident_assign,
    incident_bulk_assign,
    incident_cancel,
    incident_close,
    incident_create,
    incident_edit,
    incident_merge,
    incident_pend,
    incident_reopen,
    incident_resolve,
    incident_resume,
    incident_start,
    incident_triage,
)
from .problems import (
    incident_join_known_error,
    incident_unlink_problem,
    problem_close,
    problem_create,
    problem_investigate,
    problem_link_incidents,
    problem_mark_known_error,
    problem_publish_workaround,
    problem_resolve,
    problem_update,
)
from .replies import (
    canned_reply_create,
    canned_reply_delete,
    canned_reply_update,
    may_manage_canned_replies,
)
from .saved_views import saved_view_create, saved_view_delete, saved_view_update

__all__ = [
    "canned_reply_create",
    "canned_reply_delete",
    "canned_reply_update",
    "incident_apply_value_gates",
    "incident_assign",
    "incident_attach",
    "incident_autoclose_due",
    "incident_bulk_assign",
    "incident_cancel",
    "incident_close",
    "incident_comment",
    "incident_create",
    "incident_edit",
    "incident_join_known_error",
    "incident_merge",
    "incident_pend",
    "incident_rate",
    "incident_reopen",
    "incident_resolve",
    "incident_resume",
    "incident_start",
    "incident_triage",
    "incident_unlink_problem",
    "incident_unwatch",
    "incident_watch",
    "may_manage_canned_replies",
    "priority_matrix_update",
    "problem_close",
    "problem_create",
    "problem_investigate",
    "problem_link_incidents",
    "problem_mark_known_error",
    "problem_publish_workaround",
    "problem_resolve",
    "problem_update",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_update",
]
