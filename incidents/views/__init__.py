"""Browser pages for incidents and problems.

Views are thin: they read through ``incidents.selectors`` (scoped by user), validate the shape
of the input with ``incidents.forms`` and call one service per action. Business rules and
permission checks stay in the services and guards; a ``DomainError`` re-renders the page with
the message and the error's status (400/403/409), a success redirects (POST/redirect/GET).
"""

from .problems import problem_action, problem_detail, problem_list, problem_new
from .queue import queue, saved_view_delete, saved_view_save
from .tickets import (
    attachment_download,
    incident_action,
    incident_detail,
    incident_mine,
    incident_new,
)

__all__ = [
    "attachment_download",
    "incident_action",
    "incident_detail",
    "incident_mine",
    "incident_new",
    "problem_action",
    "problem_detail",
    "problem_list",
    "problem_new",
    "queue",
    "saved_view_delete",
    "saved_view_save",
]
