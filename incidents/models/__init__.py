"""Incident and problem models (a package: see incidents.py, problems.py, config.py)."""

from .config import Category, PriorityRule, ResolutionTarget
from .incidents import (
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentEvent,
    Satisfaction,
)
from .problems import Problem, ProblemEvent
from .replies import CannedReply
from .routing import RoutingCursor, RoutingRule
from .saved_views import SavedView
from .sla import Escalation, EscalationRule, IncidentSla, SlaPause, SlaPolicy

__all__ = [
    "CannedReply",
    "Category",
    "Escalation",
    "EscalationRule",
    "Incident",
    "IncidentAttachment",
    "IncidentComment",
    "IncidentEvent",
    "IncidentSla",
    "PriorityRule",
    "Problem",
    "ProblemEvent",
    "ResolutionTarget",
    "RoutingCursor",
    "RoutingRule",
    "Satisfaction",
    "SavedView",
    "SlaPause",
    "SlaPolicy",
]
