"""Incidents are built through the real services, so every one has its events."""

from typing import Any

from incidents import services
from incidents.models import Incident, Problem


def make_incident(requester: Any, **kwargs: Any) -> Incident:
    kwargs.setdefault("title", "Printer on floor 2 jams")
    kwargs.setdefault("description", "Every second page jams.")
    actor = kwargs.pop("actor", requester)
    return services.incident_create(actor=actor, requester=requester, **kwargs)


def incident_in(status: str, *, requester: Any, analyst: Any, team: Any, **kwargs: Any) -> Incident:
    """An incident driven through the real services into ``status``."""
    incident = make_incident(requester, **kwargs)
    if status == "new":
        return incident
    if status == "cancelled":
        return services.incident_cancel(incident=incident, actor=requester, reason="not needed")
    incident = services.incident_assign(
        incident=incident, actor=analyst, team=team, assignee=analyst
    )
    if status == "assigned":
        return incident
    incident = services.incident_start(incident=incident, actor=analyst)
    if status == "in_progress":
        return incident
    if status == "pending":
        return services.incident_pend(
            incident=incident, actor=analyst, reason="vendor", note="Waiting on the vendor"
        )
    incident = services.incident_resolve(
        incident=incident, actor=analyst, code="fixed", notes="Replaced the roller."
    )
    if status == "resolved":
        return incident
    if status == "closed":
        return services.incident_close(incident=incident, actor=requester)
    raise ValueError(status)


def make_problem(actor: Any, **kwargs: Any) -> Problem:
    kwargs.setdefault("title", "Floor 2 printers jam")
    return services.problem_create(actor=actor, **kwargs)
