"""Change endpoints. Thin: read through ``changes.selectors`` (which scope by user and 404 what
the user may not see), validate the request's shape with an input serializer, call exactly one
service, answer with an output serializer. The services hold every rule."""

from .catalogue import ChangeAuthorityViewSet, ChangeTemplateViewSet, FreezeWindowViewSet
from .changes import ChangeCalendarView, ChangeViewSet

__all__ = [
    "ChangeAuthorityViewSet",
    "ChangeCalendarView",
    "ChangeTemplateViewSet",
    "ChangeViewSet",
    "FreezeWindowViewSet",
]
