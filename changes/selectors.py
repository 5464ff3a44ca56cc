"""Reads, scoped by who asks. Staff (analysts, managers, authority members, process owners,
admins) see every change — the schedule is everyone's business; a requester sees their own."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from incidents.models import Incident
from org.models import BusinessService, User
from servicedesk.errors import ValidationFailed

from . import access
from .choices import BOOKED_STATUSES, ChangeStatus, Outcome, TemplateStatus
from .filtersets import ChangeFilterSet, FreezeWindowFilterSet
from .models import (
    AuthorityRule,
    Change,
    ChangeAuthority,
    ChangeDecision,
    ChangeEvent,
    ChangeIncidentLink,
    ChangeTemplate,
    FreezeWindow,
)
from .models.changes import REF_PREFIX
from .schedule import overlaps

LIST_RELATED = ("requester", "owner_team", "implementer", "template", "current_authority")
SERVICES = Prefetch("services", queryset=BusinessService.objects.order_by("name"))
CALENDAR_MAX_DAYS = 62


def change_scope(*, user: User) -> QuerySet[Change]:
    qs = Change.objects.all()
    if access.sees_all(user):
        return qs
    return qs.filter(Q(requester=user) | Q(implementer=user))


def change_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Change]:
    qs = change_scope(user=user).select_related(*LIST_RELATED).prefetch_related(SERVICES)
    filterset = ChangeFilterSet(filters or {}, queryset=qs)
    if not filterset.is_valid():
        raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
    qs = filterset.qs
    if filterset.is_change_feed():
        return qs  # ordered by (updated_at, id)
    if not (filters or {}).get("ordering"):
        return qs.order_by("-created_at", "-pk")
    return qs.order_by(*qs.query.order_by, "pk")


def change_get(*, user: User, pk: Any) -> Change:
    """The change if the user may see it, else 404 (never reveal that it exists)."""
    try:
        return (
            change_scope(user=user)
            .select_related(*LIST_RELATED)
            .prefetch_related(SERVICES)
            .get(pk=Change.id_from_ref(str(pk)) or int(pk))
        )
    except (Change.DoesNotExist, ValueError, TypeError):
        raise Http404("No such change, or it is not visible to you.") from None


def change_events(*, change: Change) -> QuerySet[ChangeEvent]:
    return (
        ChangeEvent.objects.filter(change=change)
        .select_related("actor")
        .order_by("created_at", "pk")
    )


def change_decisions(*, change: Change) -> QuerySet[ChangeDecision]:
    return (
        ChangeDecision.objects.filter(change=change)
        .select_related("authority")
        .order_by("created_at", "pk")
    )


def change_incident_links(*, change: Change) -> QuerySet[ChangeIncidentLink]:
    return change.incident_links.select_related("incident", "linked_by").order_by("created_at")


def changes_for_incident(*, user: User, incident: Incident) -> QuerySet[ChangeIncidentLink]:
    """Changes linked to an incident, for the incident page's hook."""
    if not access.sees_all(user):
        return ChangeIncidentLink.objects.none()
    return (
        ChangeIncidentLink.objects.filter(incident=incident)
        .select_related("change")
        .order_by("created_at")
    )


def authorities_by_id(ids: list[int]) -> dict[int, ChangeAuthority]:
    return {a.pk: a for a in ChangeAuthority.objects.filter(pk__in=ids).prefetch_related("members")}


# --- approver inbox ---------------------------------------------------------------------------
def approval_inbox(*, user: User) -> QuerySet[Change]:
    """Changes awaiting a decision from an authority the user is in, that the user may decide
    (not their own, not one they implement) and has not decided on this revision yet."""
    decided = ChangeDecision.objects.filter(
        change_id=OuterRef("pk"),
        revision=OuterRef("revision"),
        stage=OuterRef("stage"),
        approver_id=user.pk,
    )
    member_of = ChangeAuthority.members.through.objects.filter(user_id=user.pk).values(
        "changeauthority_id"
    )
    return (
        Change.objects.filter(status=ChangeStatus.ASSESSED, current_authority_id__in=member_of)
        .exclude(requester=user)
        .exclude(implementer=user)
        .exclude(Exists(decided))
        .select_related(*LIST_RELATED)
        .prefetch_related(SERVICES)
        .order_by("planned_start", "pk")
    )


def conflicts_for(changes: list[Change]) -> dict[int, list[Change]]:
    """For each change with a window, the booked changes overlapping it on a shared service.
    Two queries for the whole list, whatever its length."""
    windows = [c for c in changes if c.planned_start and c.planned_end]
    if not windows:
        return {}
    start = min(c.planned_start for c in windows if c.planned_start)
    end = max(c.planned_end for c in windows if c.planned_end)
    booked = list(
        Change.objects.filter(
            status__in=BOOKED_STATUSES, planned_start__lt=end, planned_end__gt=start
        ).prefetch_related("services")
    )
    result: dict[int, list[Change]] = {}
    for change in windows:
        mine = {s.pk for s in change.services.all()}
        result[change.pk] = [
            other
            for other in booked
            if other.pk != change.pk
            and mine & {s.pk for s in other.services.all()}
            and overlaps(
                change.planned_start,  # type: ignore[arg-type]
                change.planned_end,  # type: ignore[arg-type]
                other.planned_start,  # type: ignore[arg-type]
                other.planned_end,  # type: ignore[arg-type]
            )
        ]
    return result


# --- schedule ---------------------------------------------------------------------------------
@dataclass
class CalendarChange:
    """A change as the calendar shows it."""

    pk: int
    title: str
    type: str
    status: str
    risk_class: str
    planned_start: datetime
    planned_end: datetime
    owner_team: dict[str, Any] | None
    services: list[dict[str, Any]]
    url: str = ""

    @property
    def id(self) -> int:
        return self.pk

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk:06d}"


@dataclass
class Calendar:
    start: datetime
    end: datetime
    changes: list[CalendarChange]
    freezes: list[FreezeWindow]


def change_calendar(*, user: User, start: datetime, end: datetime) -> Calendar:
    """Changes with a planned window overlapping [start, end), and freeze windows. Four
    queries whatever the number of changes (changes, their services, freezes, theirs)."""
    if end <= start:
        raise ValidationFailed("The calendar's end must be after its start.")
    if (end - start).days > CALENDAR_MAX_DAYS:
        raise ValidationFailed(f"Ask for at most {CALENDAR_MAX_DAYS} days at a time.")
    # Plain rows, not model instances: a busy month holds well over a thousand changes, and
    # the calendar shows only a few fields of each.
    booked = (
        change_scope(user=user)
        .filter(planned_start__lt=end, planned_end__gt=start)
        .exclude(status__in=[ChangeStatus.CANCELLED, ChangeStatus.REJECTED])
    )
    rows = list(
        booked.order_by("planned_start", "pk").values(
            "id",
            "title",
            "type",
            "status",
            "risk_class",
            "planned_start",
            "planned_end",
            "owner_team_id",
            "owner_team__slug",
            "owner_team__name",
        )
    )
    services_of: dict[int, list[dict[str, Any]]] = {}
    links = Change.services.through.objects.filter(change_id__in=booked.values("pk"))
    for link in links.order_by("businessservice__name").values(
        "change_id", "businessservice_id", "businessservice__slug", "businessservice__name"
    ):
        services_of.setdefault(link["change_id"], []).append(
            {
                "id": link["businessservice_id"],
                "slug": link["businessservice__slug"],
                "name": link["businessservice__name"],
            }
        )
    changes = [
        CalendarChange(
            pk=row["id"],
            title=row["title"],
            type=row["type"],
            status=row["status"],
            risk_class=row["risk_class"],
            planned_start=row["planned_start"],  # type: ignore[arg-type]
            planned_end=row["planned_end"],  # type: ignore[arg-type]
            owner_team=None
            if row["owner_team_id"] is None
            else {
                "id": row["owner_team_id"],
                "slug": row["owner_team__slug"],
                "name": row["owner_team__name"],
            },
            services=services_of.get(row["id"], []),
        )
        for row in rows
    ]
    freezes = list(
        FreezeWindow.objects.filter(is_active=True, starts_at__lt=end, ends_at__gt=start)
        .select_related("created_by")
        .prefetch_related(SERVICES)
        .order_by("starts_at", "pk")
    )
    return Calendar(start, end, changes, freezes)


# --- catalogue --------------------------------------------------------------------------------
def template_list(*, user: User, include_inactive: bool = True) -> QuerySet[ChangeTemplate]:
    """Templates with their use count and outcomes (counted in the same query)."""
    qs = ChangeTemplate.objects.select_related("owner", "approved_by").prefetch_related(SERVICES)
    if not include_inactive:
        qs = qs.filter(status=TemplateStatus.ACTIVE)
    return qs.annotate(
        use_count=Count("changes", filter=~Q(changes__status=ChangeStatus.DRAFT)),
        successful_count=Count("changes", filter=Q(changes__outcome=Outcome.SUCCESSFUL)),
        failed_count=Count(
            "changes", filter=Q(changes__outcome__in=[Outcome.FAILED, Outcome.BACKED_OUT])
        ),
    ).order_by("title")


def template_get(*, user: User, pk: Any) -> ChangeTemplate:
    try:
        return template_list(user=user).get(pk=int(pk))
    except (ChangeTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such template.") from None


def template_flagged(template: Any) -> bool:
    """Failing above its threshold once enough changes are done: review it."""
    done = template.successful_count + template.failed_count
    return done >= template.min_sample and template.failed_count / done > template.failure_threshold


def authority_list() -> QuerySet[ChangeAuthority]:
    members = Prefetch("members", queryset=User.objects.order_by("display_name", "username"))
    return ChangeAuthority.objects.prefetch_related(members).order_by("name")


def authority_get(pk: Any) -> ChangeAuthority:
    try:
        return authority_list().get(pk=int(pk))
    except (ChangeAuthority.DoesNotExist, ValueError, TypeError):
        raise Http404("No such change authority.") from None


def matrix() -> dict[tuple[str, str], list[ChangeAuthority]]:
    cells: dict[tuple[str, str], list[ChangeAuthority]] = {}
    for rule in AuthorityRule.objects.select_related("authority").order_by("position"):
        cells.setdefault((rule.category, rule.risk_class), []).append(rule.authority)
    return cells


def freeze_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[FreezeWindow]:
    qs = FreezeWindow.objects.select_related("created_by").prefetch_related(SERVICES)
    filterset = FreezeWindowFilterSet(filters or {}, queryset=qs)
    if not filterset.is_valid():
        raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
    return filterset.qs.order_by("starts_at", "pk")


def freeze_get(pk: Any) -> FreezeWindow:
    try:
        return freeze_list().get(pk=int(pk))
    except (FreezeWindow.DoesNotExist, ValueError, TypeError):
        raise Http404("No such freeze window.") from None


# --- the path and who must authorise ----------------------------------------------------------
@dataclass
class Plan:
    """What the requester reads: the risk, the authorities, and why it cannot go yet."""

    risk: Any
    chain: list[ChangeAuthority]
    problem: str


def authorisation_plan(change: Change) -> Plan:
    """The authorities that must (or will have to) authorise the change. Before submission it
    is a preview from the risk answers given so far; nothing is saved."""
    import copy

    from . import risk as risk_rules
    from .services.routing import route

    if change.type == "standard":
        return Plan(None, [], "")
    answers = {q: getattr(change, q) for q in risk_rules.QUESTIONS}
    assessed = None
    if not risk_rules.missing_answers(answers):
        from django.conf import settings

        assessed = risk_rules.assess(answers, settings.CHANGE_RISK_WEIGHTS)
    if change.authority_chain:
        by_id = authorities_by_id(list(change.authority_chain))
        return Plan(assessed, [by_id[i] for i in change.authority_chain if i in by_id], "")
    preview = copy.copy(change)
    preview.risk_class = assessed.risk_class if assessed else ""
    chain, problem = route(preview)
    return Plan(assessed, chain, problem)
