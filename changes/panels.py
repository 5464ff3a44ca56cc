"""What ``changes`` adds to other apps' pages (see ``servicedesk.panels``)."""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from . import access, selectors


def incident_changes(request: HttpRequest, incident: Any) -> str:
    """The changes linked to an incident (caused by, related), for staff."""
    user = request.user
    if not access.sees_all(user):
        return ""
    links = list(selectors.changes_for_incident(user=user, incident=incident))  # type: ignore[arg-type]
    if not links:
        return ""
    return render_to_string("changes/_incident_panel.html", {"links": links}, request=request)
