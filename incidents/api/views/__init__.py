"""Incident and problem endpoints. Thin: read through ``incidents.selectors`` (which scope by
user and 404 what the user may not see), validate the request's shape with an input serializer,
call exactly one service, answer with an output serializer. The services hold every rule."""

from .desk import CannedReplyViewSet, KnownErrorViewSet
from .incidents import IncidentViewSet
from .problems import ProblemViewSet
from .saved_views import SavedViewViewSet
from .sla import EscalationRuleViewSet, SlaPolicyViewSet

__all__ = [
    "CannedReplyViewSet",
    "EscalationRuleViewSet",
    "IncidentViewSet",
    "KnownErrorViewSet",
    "ProblemViewSet",
    "SavedViewViewSet",
    "SlaPolicyViewSet",
]
