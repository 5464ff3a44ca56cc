"""Reads, scoped by who asks. A requester sees only incidents they are a party to or watch;
analysts, managers and admins see all. Internal notes and events never reach requesters."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from org.models import User
from servicedesk.errors import ValidationFailed

from . import access
from .choices import OPEN_STATUSES, IncidentStatus, PendingReason
from .filtersets import IncidentFilterSet, ProblemFilterSet
from .models import (
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentEvent,
    PriorityRule,
    Problem,
    ProblemEvent,
    ResolutionTarget,
    SavedView,
)

LIST_RELATED = ("requester", "reported_by", "assignee", "team", "service", "category", "problem")

QUEUES = {
    "mine": "My work",
    "triage": "Triage (no team)",
    "unassigned": "My teams' unassigned",
    "team": "All open for my teams",
    "breaching": "Breaching soon",
    "all": "All open",
}
BREACHING_WITHIN = timedelta(hours=4)
QUEUE_SORTS = (
    ("priority", "Priority"),
    ("due", "Due"),
    ("created", "Opened"),
    ("updated", "Updated"),
)
QUEUE_ORDERINGS = frozenset(
    {key for k, _ in QUEUE_SORTS for key in (k, f"-{k}")} | {"status", "-status"}
)


def priority_matrix() -> dict[tuple[int, int], int]:
    return {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()}


def resolution_targets() -> dict[int, timedelta]:
    return {t.priority: t.resolve_within for t in ResolutionTarget.objects.all()}


def incident_scope(*, user: User) -> QuerySet[Incident]:
    qs = Incident.objects.all()
    if access.is_agent(user):
        return qs
    watched = Incident.watchers.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    return qs.filter(Q(requester=user) | Q(reported_by=user) | Exists(watched))


def incident_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Incident]:
    qs = incident_scope(user=user).select_related(*LIST_RELATED)
    filterset = IncidentFilterSet(filters or {}, queryset=qs)
    if not filterset.is_valid():
        raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
    qs = filterset.qs
    if filterset.is_change_feed():
        return qs  # ordered by (updated_at, id)
    if not (filters or {}).get("ordering"):
        return qs.order_by("-created_at", "-pk")
    return qs.order_by(*qs.query.order_by, "pk")  # a stable order across pages


def incident_mine(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Incident]:
    """Tickets the user asked for or logged (also for analysts, whose scope is wider)."""
    return incident_list(user=user, filters=filters).filter(Q(requester=user) | Q(reported_by=user))


def _queue_conditions(user: User, now: datetime) -> dict[str, Q]:
    """Each tab as a condition over open incidents. Every open incident is in at least one
    working tab: "team" for its team, "triage" while it has none (or its team is retired)."""
    teams = user.team_ids | user.led_team_ids
    nobodys = Q(team__isnull=True) | Q(team__is_active=False)  # a retired team works nothing
    return {
        "mine": Q(assignee=user),
        "triage": nobodys,
        "unassigned": Q(team_id__in=teams, assignee__isnull=True),
        "team": Q(team_id__in=teams),
        # On hold waits on someone else: it is not the team's clock to watch.
        "breaching": (Q(team_id__in=teams) | Q(assignee=user) | nobodys)
        & Q(due_at__lte=now + BREACHING_WITHIN)
        & ~Q(status=IncidentStatus.PENDING),
        "all": Q(),
    }


def incident_waiting_on(*, user: User) -> QuerySet[Incident]:
    """The user's tickets on hold until they answer, each with what was asked (``question``:
    the public note of the latest hold)."""
    asked = IncidentEvent.objects.filter(
        incident=OuterRef("pk"), type="incident.pended", is_internal=False
    ).order_by("-created_at", "-pk")
    return (
        Incident.objects.filter(Q(requester=user) | Q(reported_by=user))
        .filter(status=IncidentStatus.PENDING, pending_reason=PendingReason.REQUESTER)
        .annotate(question=Subquery(asked.values("reason")[:1]))
        .order_by("updated_at", "pk")
    )


def incident_queue(
    *, user: User, queue: str, filters: Mapping[str, Any] | None = None
) -> QuerySet[Incident]:
    """The analyst's queue views."""
    conditions = _queue_conditions(user, timezone.now())
    if queue not in conditions:
        raise Http404("No such queue.")
    qs = incident_list(user=user, filters=filters).filter(
        conditions[queue], status__in=OPEN_STATUSES
    )
    if not (filters or {}).get("ordering"):
        if queue == "triage":  # oldest first: nobody has looked at these yet
            qs = qs.order_by("created_at", "pk")
        else:
            qs = qs.order_by("priority", "due_at", "pk")
    return qs


def queue_counts(*, user: User) -> dict[str, int]:
    """How many open incidents each tab holds (unfiltered), in one query."""
    conditions = _queue_conditions(user, timezone.now())
    if not access.is_agent(user):
        return dict.fromkeys(conditions, 0)
    counts = Incident.objects.filter(status__in=OPEN_STATUSES).aggregate(
        **{f"n_{key}": Count("pk", filter=condition) for key, condition in conditions.items()}
    )
    return {key: counts[f"n_{key}"] for key in conditions}


WORKLOAD_STATUSES = (
    IncidentStatus.NEW,
    IncidentStatus.ASSIGNED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.PENDING,
)


def team_workload(*, user: User) -> list[dict[str, Any]]:
    """Open work of the teams the user leads (an admin: every active team), plus tickets with
    no team: counts by status and priority, unassigned, overdue and the oldest. Two queries."""
    from org.choices import Role
    from org.models import Team

    now = timezone.now()
    teams = Team.objects.filter(is_active=True)
    if Role.ADMIN not in user.roles:
        if not user.led_team_ids:
            return []
        teams = teams.filter(pk__in=user.led_team_ids)

    def counts(prefix: str) -> dict[str, Any]:
        open_ = Q(**{f"{prefix}status__in": OPEN_STATUSES})
        out: dict[str, Any] = {
            "open": Count("pk" if not prefix else "incidents", filter=open_),
            "unassigned": Count(
                "pk" if not prefix else "incidents",
                filter=open_ & Q(**{f"{prefix}assignee__isnull": True}),
            ),
            "overdue": Count(
                "pk" if not prefix else "incidents",
                filter=open_
                & Q(**{f"{prefix}due_at__lt": now})
                & ~Q(**{f"{prefix}status": IncidentStatus.PENDING}),
            ),
        }
        for status in WORKLOAD_STATUSES:
            out[f"s_{status}"] = Count(
                "pk" if not prefix else "incidents", filter=Q(**{f"{prefix}status": status})
            )
        for priority in (1, 2, 3, 4):
            out[f"p_{priority}"] = Count(
                "pk" if not prefix else "incidents",
                filter=open_ & Q(**{f"{prefix}priority": priority}),
            )
        return out

    oldest = Incident.objects.filter(team=OuterRef("pk"), status__in=OPEN_STATUSES).order_by(
        "created_at", "pk"
    )
    rows = list(
        teams.annotate(
            **counts("incidents__"),
            oldest_id=Subquery(oldest.values("pk")[:1]),
            oldest_at=Subquery(oldest.values("created_at")[:1]),
        ).order_by("name")
    )
    untriaged = Incident.objects.filter(team__isnull=True).aggregate(
        **counts(""), oldest_at=Min("created_at", filter=Q(status__in=OPEN_STATUSES))
    )

    def row(name: str, team_id: int | None, data: Any, get: Any) -> dict[str, Any]:
        return {
            "name": name,
            "team_id": team_id,
            "open": get(data, "open"),
            "by_status": [get(data, f"s_{s}") for s in WORKLOAD_STATUSES],
            "by_priority": [get(data, f"p_{p}") for p in (1, 2, 3, 4)],
            "unassigned": get(data, "unassigned"),
            "overdue": get(data, "overdue"),
            "oldest_at": get(data, "oldest_at"),
            "oldest_ref": (
                f"INC-{get(data, 'oldest_id'):06d}" if get(data, "oldest_id", None) else ""
            ),
            "oldest_id": get(data, "oldest_id", None),
        }

    out = [row(t.name, t.pk, t, lambda d, k, *default: getattr(d, k, *default)) for t in rows]
    out.append(row("No team (triage)", None, untriaged, lambda d, k, *default: d.get(k, *default)))
    return out


def saved_views(*, user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(owner=user).order_by("name", "pk")


def incident_get(*, user: User, pk: Any) -> Incident:
    """The incident (by id or reference, ``INC-000123``) if the user may see it, else 404
    (never reveal that it exists)."""
    try:
        return (
            incident_scope(user=user)
            .select_related(*LIST_RELATED, "reported_by", "problem")
            .get(pk=Incident.id_from_ref(str(pk)) or int(pk))
        )
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404("No such incident, or it is not visible to you.") from None


def incident_events(*, user: User, incident: Incident) -> QuerySet[IncidentEvent]:
    qs = IncidentEvent.objects.filter(incident=incident).select_related("actor")
    if not access.is_agent(user):
        qs = qs.filter(is_internal=False)
    return qs.order_by("created_at", "pk")


def incident_comments(*, user: User, incident: Incident) -> QuerySet[IncidentComment]:
    qs = IncidentComment.objects.filter(incident=incident).select_related("author")
    if not access.is_agent(user):
        qs = qs.filter(is_internal=False)
    return qs.order_by("created_at", "pk")


def incident_attachments(*, user: User, incident: Incident) -> QuerySet[IncidentAttachment]:
    qs = IncidentAttachment.objects.filter(incident=incident).select_related("uploaded_by")
    if not access.is_agent(user):
        qs = qs.filter(is_internal=False)
    return qs


def attachment_get(*, user: User, incident_pk: Any, pk: Any) -> IncidentAttachment:
    incident = incident_get(user=user, pk=incident_pk)
    try:
        return incident_attachments(user=user, incident=incident).get(pk=int(pk))
    except (IncidentAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment.") from None


def comment_get(*, user: User, incident: Incident, pk: Any) -> IncidentComment:
    try:
        return incident_comments(user=user, incident=incident).get(pk=int(pk))
    except (IncidentComment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such comment.") from None


def rating_get(*, incident: Incident, pk: Any) -> Any:
    try:
        return incident.ratings.get(pk=int(pk))
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("No such rating.") from None


def current_rating(incident: Incident) -> Any:
    return incident.ratings.filter(resolution_number=incident.reopened_count + 1).first()


def problem_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Problem]:
    if not access.is_agent(user):
        return Problem.objects.none()
    qs = (
        Problem.objects.select_related("owner_team", "created_by")
        .prefetch_related("services")
        .annotate(
            incident_count=Count("incidents", distinct=True),
            open_incident_count=Count(
                "incidents", filter=Q(incidents__status__in=OPEN_STATUSES), distinct=True
            ),
        )
    )
    filterset = ProblemFilterSet(filters or {}, queryset=qs)
    if not filterset.is_valid():
        raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
    qs = filterset.qs
    if filterset.is_change_feed():
        return qs  # ordered by (updated_at, id)
    if not (filters or {}).get("ordering"):
        return qs.order_by("-created_at", "-pk")
    return qs.order_by(*qs.query.order_by, "pk")


def problem_get(*, user: User, pk: Any) -> Problem:
    try:
        return problem_list(user=user).get(pk=Problem.id_from_ref(str(pk)) or int(pk))
    except (Problem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such problem.") from None


def problem_events(*, problem: Problem) -> QuerySet[ProblemEvent]:
    return ProblemEvent.objects.filter(problem=problem).order_by("created_at", "pk")


def problem_incidents(*, problem: Problem) -> QuerySet[Incident]:
    return problem.incidents.select_related(*LIST_RELATED).order_by("-created_at")
