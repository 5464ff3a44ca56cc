"""Reads, scoped by who asks. A requester sees only incidents they are a party to or watch;
analysts, managers and admins see all. Internal notes and events never reach requesters."""

import functools
from collections import namedtuple
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet, ObjectDoesNotExist
from django.db.models import (
    Count,
    Exists,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from org.models import BusinessService, User
from servicedesk.batching import BatchingQuerySet
from servicedesk.errors import ValidationFailed
from servicedesk.feeds import names_a_filter
from servicedesk.rows import rows_for_ids

from . import access
from .choices import (
    OPEN_PROBLEM_STATUSES,
    OPEN_STATUSES,
    RUNNING_STATUSES,
    IncidentStatus,
    PendingReason,
)
from .filtersets import (
    CannedReplyFilterSet,
    IncidentFilterSet,
    KnownErrorFilterSet,
    ProblemFilterSet,
)
from .models import (
    CannedReply,
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentEvent,
    IncidentSla,
    PriorityRule,
    Problem,
    ProblemEvent,
    ResolutionTarget,
    RoutingRule,
    SavedView,
)

# What a list or the ticket joins to the incident row: the small tables. The people (three
# foreign keys to the user table) and a duplicate's original are fetched after the rows, one
# query per table (servicedesk.batching): nine joins in one statement cost far more to plan
# than to run (at 1,000,000 incidents a page of 25: 14 ms planning + 7 ms running, against
# 1 + 1 ms for the five joins and ~2 ms for the people).
LIST_RELATED = ("team", "service", "category", "problem", "sla")
LIST_BATCHED = ("requester", "reported_by", "assignee", "merged_into")
# What no list or ticket page shows and every row would carry: the search document (a tsvector
# of ~300 bytes that PostgreSQL formats as text and Python decodes, for nothing), and the
# at-risk instant the queue's conditions read in SQL (incidents.at_risk).
NOT_SHOWN = ("search_document", "at_risk_at")

QUEUES = {
    "mine": "My work",
    "triage": "Triage (no team)",
    "unassigned": "My teams' unassigned",
    "team": "All open for my teams",
    "breaching": "Breaching soon",
    "all": "All open",
}
QUEUE_SORTS = (
    ("priority", "Priority"),
    ("due", "Due"),
    ("created", "Opened"),
    ("updated", "Updated"),
)
QUEUE_ORDERINGS = frozenset(
    {key for k, _ in QUEUE_SORTS for key in (k, f"-{k}")} | {"status", "-status"}
)


def stable_order(qs: QuerySet[Any]) -> QuerySet[Any]:
    """The order chosen (``ordering=``) with the id as tie-breaker, in the direction of the
    last column, so one composite index serves it forwards or backwards and pages are stable."""
    order = [str(item) for item in qs.query.order_by]
    descending = bool(order) and order[-1].startswith("-")
    return qs.order_by(*order, "-pk" if descending else "pk")


def priority_matrix() -> dict[tuple[int, int], int]:
    return {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()}


def resolution_targets() -> dict[int, timedelta]:
    return {t.priority: t.resolve_within for t in ResolutionTarget.objects.all()}


def incident_scope(*, user: User) -> BatchingQuerySet[Incident]:
    qs = Incident.objects.all()
    if access.is_agent(user):
        return qs
    watched = Incident.watchers.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    return qs.filter(Q(requester=user) | Q(reported_by=user) | Exists(watched))


# Filters that would let a requester learn about internal records (problem management is
# internal): refused for requesters whatever the value, so known and unknown ids answer alike.
AGENT_ONLY_FILTERS = ("problem_id",)


def incident_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Incident]:
    qs = (
        incident_scope(user=user)
        .select_related(*LIST_RELATED)
        .batch_related(*LIST_BATCHED)
        .defer(*NOT_SHOWN)
    )
    refused = [name for name in AGENT_ONLY_FILTERS if name in (filters or {})]
    if refused and not access.is_agent(user):
        raise ValidationFailed(
            f"{', '.join(refused)} is not a filter requesters can use.",
            details={name: ["Not a filter requesters can use."] for name in refused},
        )
    if names_a_filter(IncidentFilterSet, filters):
        filterset = IncidentFilterSet(filters or {}, queryset=qs)
        if not filterset.is_valid():
            raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
        qs = filterset.qs
        if filterset.is_change_feed():
            return qs  # ordered by (updated_at, id)
    if not (filters or {}).get("ordering"):
        if qs.query.order_by:  # a search ranks its matches (incidents.search)
            return qs
        return qs.order_by("-created_at", "-pk")
    return stable_order(qs)


def incident_rows(*, ids: list[int]) -> dict[int, Incident]:
    """Rows already chosen (and checked visible) by a list, fetched as a list shows them: by id,
    without the list's conditions again."""
    rows = Incident.objects.select_related(*LIST_RELATED).batch_related(*LIST_BATCHED)
    rows = rows.defer(*NOT_SHOWN)
    found = rows_for_ids(rows, ids)
    return rows.in_bulk(ids) if found is None else found


def incident_mine(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Incident]:
    """Tickets the user asked for or logged (also for analysts, whose scope is wider)."""
    return incident_list(user=user, filters=filters).filter(Q(requester=user) | Q(reported_by=user))


class QueueConditions(dict[str, Q]):
    """Each tab's condition by key, its statuses included, and the "breaching soon" tab's
    without its at-risk part (``breaching_candidates``: whose tickets, running;
    ``breaching_soon`` adds the rest)."""

    breaching_candidates: Q = Q()
    # what the conditions were made of, for the tab counts' statement (``queue_counts``)
    user_id: int = 0
    teams: tuple[int, ...] = ()
    retired: tuple[int, ...] = ()
    now: datetime | None = None


def queue_conditions(*, user: User, now: datetime | None = None) -> QueueConditions:
    """Each tab as a condition over incidents (the open ones; "breaching soon": the running
    ones, which its index holds: a second status condition on top, open, made PostgreSQL
    estimate 30 times fewer rows and read the heap). Every open incident is in at least one
    working tab: "team" for its team, "triage" while it has none (or its team is retired).
    One small query (the retired teams); a page computes these once for its rows and its tab
    counts."""
    now = now or timezone.now()
    teams = user.team_ids | user.led_team_ids
    # A retired team works nothing. Its ids are read first and written into the condition as
    # values: with a subquery the planner cannot estimate how few rows "no team" holds, and at
    # 1,000,000 incidents it walked 14,000 open incidents newest first to find the triage page
    # (10-15 ms) instead of reading the partial index of untriaged incidents (0.1 ms).
    from org.models import Team

    retired = list(Team.objects.filter(is_active=False).values_list("pk", flat=True))
    nobodys = Q(team__isnull=True) | Q(team_id__in=retired) if retired else Q(team__isnull=True)
    # On hold waits on someone else: it is not the team's clock to watch.
    # Whose: the user's teams, the user's own, and nobody's (no team or a retired one, as
    # values as for triage: with a join to the team table the planner could not use the
    # team indexes and walked every open incident to find the user's).
    candidates = (Q(team_id__in=teams) | Q(assignee=user) | nobodys) & Q(
        status__in=RUNNING_STATUSES
    )
    opened = Q(status__in=OPEN_STATUSES)
    conditions = QueueConditions(
        {
            "mine": opened & Q(assignee=user),
            "triage": opened & nobodys,
            "unassigned": opened & Q(team_id__in=teams, assignee__isnull=True),
            "team": opened & Q(team_id__in=teams),
            "breaching": candidates & Q(at_risk_at__lte=now),
            "all": opened,
        }
    )
    conditions.breaching_candidates = candidates
    conditions.user_id, conditions.now = user.pk, now
    conditions.teams, conditions.retired = tuple(sorted(teams)), tuple(retired)
    return conditions


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
    *,
    user: User,
    queue: str,
    filters: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Q] | None = None,
) -> QuerySet[Incident]:
    """The analyst's queue views (``conditions``: ``queue_conditions`` already computed)."""
    conditions = conditions if conditions is not None else queue_conditions(user=user)
    if queue not in conditions:
        raise Http404("No such queue.")
    qs = incident_list(user=user, filters=filters).filter(conditions[queue])
    if not (filters or {}).get("ordering"):
        if queue == "triage":  # oldest first: nobody has looked at these yet
            qs = qs.order_by("created_at", "pk")
        else:
            # a bypass of the queue-order gate moves a ticket ahead of the normal order
            qs = qs.order_by("-queue_rank", "priority", "due_at", "pk")
    return qs


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# Each tab's condition of ``queue_conditions`` written in SQL, with the user, the teams (an
# array), the retired teams (an array) and the instant as parameters: the text is the same for
# everyone. The statuses are written in (the queues' partial indexes are chosen on them).
_OPEN = f"status IN ({_sql_list(OPEN_STATUSES)})"
_NOBODYS = "(team_id IS NULL OR team_id = ANY(%(retired)s))"
QUEUE_COUNT_SQL = {
    "mine": f"{_OPEN} AND assignee_id = %(user)s",
    "triage": f"{_OPEN} AND {_NOBODYS}",
    "unassigned": f"{_OPEN} AND team_id = ANY(%(teams)s) AND assignee_id IS NULL",
    "team": f"{_OPEN} AND team_id = ANY(%(teams)s)",
    "breaching": f"status IN ({_sql_list(RUNNING_STATUSES)}) AND (team_id = ANY(%(teams)s) "
    f"OR assignee_id = %(user)s OR {_NOBODYS}) AND at_risk_at <= %(now)s",
    "all": _OPEN,
}
# (fixed text: the values are parameters)
_QUEUE_COUNTS = "SELECT " + ", ".join(  # noqa: S608
    f"(SELECT COUNT(*) FROM (SELECT 1 FROM incidents_incident WHERE {where} "  # noqa: S608
    f"LIMIT %(limit)s) AS tab_{key})"
    for key, where in QUEUE_COUNT_SQL.items()
)


def queue_counts(*, user: User, conditions: QueueConditions | None = None) -> dict[str, int]:
    """How many open incidents each tab holds (unfiltered), in one query, each count bounded
    like a page's total: exact up to ``pagination.COUNT_LIMIT``, past it ``COUNT_LIMIT + 1``
    (shown "1,000+"), having read at most that many index entries per tab rather than every
    open incident (at 1,000,000 incidents the unbounded counts took ~45 ms a page).

    On PostgreSQL the statement is written once (``QUEUE_COUNT_SQL``, the tab conditions in
    SQL; a test holds them to the ORM's): compiling the six from their conditions through the
    ORM took ~2 ms a page. Elsewhere the ORM compiles them."""
    from django.db import connection

    from servicedesk.pagination import COUNT_LIMIT

    if not access.is_agent(user):
        return dict.fromkeys(QUEUES, 0)
    conditions = conditions if conditions is not None else queue_conditions(user=user)
    if connection.vendor == "postgresql" and list(conditions) == list(QUEUE_COUNT_SQL):
        with connection.cursor() as cursor:
            cursor.execute(
                _QUEUE_COUNTS,
                {
                    "user": conditions.user_id,
                    "teams": list(conditions.teams),
                    "retired": list(conditions.retired),
                    "now": conditions.now,
                    "limit": COUNT_LIMIT + 1,
                },
            )
            return dict(zip(QUEUE_COUNT_SQL, cursor.fetchone(), strict=True))
    return queue_counts_compiled(conditions)


def queue_counts_compiled(conditions: QueueConditions) -> dict[str, int]:
    """``queue_counts`` with each tab's statement compiled by the ORM from its condition."""
    from django.db import connection

    from servicedesk.pagination import COUNT_LIMIT

    incidents = Incident.objects.order_by()
    parts: list[str] = []
    params: list[Any] = []
    for n, condition in enumerate(conditions.values()):
        try:
            sql, part_params = (
                incidents.filter(condition).values("pk")[: COUNT_LIMIT + 1].query.sql_with_params()
            )
        except EmptyResultSet:  # e.g. "team" for someone in no team: nothing to count
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS tab_{n})")  # noqa: S608 - ORM-compiled
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip(conditions, row, strict=True))


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


def incident_get(*, user: User, pk: Any, people: bool = True) -> Incident:
    """The incident (by id or reference, ``INC-000123``) if the user may see it, else 404
    (never reveal that it exists). Two queries: the row with its small related rows, then its
    requester, reporter and assignee together (``people=False``: only the row, for a
    sub-resource that needs to know the incident is visible and nothing more).

    The row is read by id as a list reads its rows (``incident_rows``: on PostgreSQL one
    prepared statement, planned once per connection, where the ORM's five-table join took
    ~1.4 ms to plan at every request), and who may see it is then ``access.can_view``, the
    rule ``incident_scope`` writes in SQL; a requester who is neither its requester nor its
    reporter costs one more query, for watching it."""
    try:
        key = Incident.id_from_ref(str(pk)) or int(pk)
    except (ValueError, TypeError):
        raise Http404("No such incident, or it is not visible to you.") from None
    if not people:
        try:
            return incident_scope(user=user).get(pk=key)
        except Incident.DoesNotExist:
            raise Http404("No such incident, or it is not visible to you.") from None
    incident = incident_rows(ids=[key]).get(key) if 0 < key <= 2**63 - 1 else None
    if incident is None or not (
        access.can_view(user, incident)
        or Incident.watchers.through.objects.filter(incident_id=key, user_id=user.pk).exists()
    ):
        raise Http404("No such incident, or it is not visible to you.")
    return incident


def incident_events(*, user: User, incident: Incident) -> QuerySet[IncidentEvent]:
    # the actors batched, not joined: for an incident's few events PostgreSQL hashed the
    # whole user table (~1-2 ms at 2,000 people) rather than look up each actor
    qs = IncidentEvent.objects.filter(incident=incident).batch_related("actor")
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
    incident = incident_get(user=user, pk=incident_pk, people=False)
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
    # counted per problem by correlated subqueries (an index lookup each), not by joining and
    # grouping every linked incident before the page is cut
    linked = Incident.objects.filter(problem=OuterRef("pk")).order_by().values("problem")
    qs = (
        Problem.objects.select_related("owner_team", "created_by")
        .prefetch_related("services")
        .annotate(
            incident_count=Coalesce(Subquery(linked.annotate(n=Count("pk")).values("n")[:1]), 0),
            open_incident_count=Coalesce(
                Subquery(
                    linked.filter(status__in=OPEN_STATUSES).annotate(n=Count("pk")).values("n")[:1]
                ),
                0,
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
    return stable_order(qs)


def problem_get(*, user: User, pk: Any) -> Problem:
    try:
        return problem_list(user=user).get(pk=Problem.id_from_ref(str(pk)) or int(pk))
    except (Problem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such problem.") from None


def problem_events(*, problem: Problem) -> QuerySet[ProblemEvent]:
    return ProblemEvent.objects.filter(problem=problem).order_by("created_at", "pk")


def problem_incidents(*, problem: Problem) -> QuerySet[Incident]:
    return (
        problem.incidents.select_related(*LIST_RELATED)
        .batch_related(*LIST_BATCHED)
        .order_by("-created_at")
    )


# --- known errors (published workarounds), for everyone ------------------------------------
KNOWN_ERROR_MATCH_LIMIT = 5
_STOP_WORDS = frozenset(
    {
        *("the", "and", "for", "with", "not", "can", "cannot", "cant", "does", "doesnt"),
        *("dont", "will", "wont", "when", "from", "into", "this", "that", "have", "has"),
        *("had", "was", "are", "its", "our", "your", "any", "all"),
    }
)


def title_words(text: str) -> list[str]:
    """The words of a title worth matching on (three letters or more, no filler), at most 8."""
    words = []
    for raw in (text or "").lower().replace("'", "").split():
        word = "".join(ch for ch in raw if ch.isalnum())
        if len(word) >= 3 and word not in _STOP_WORDS and word not in words:
            words.append(word)
    return words[:8]


def known_error_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Problem]:
    """Open problems with a published workaround: what every signed-in person may read (the
    title, services and workaround; never the root cause or internal notes)."""
    qs = (
        Problem.objects.filter(
            status__in=OPEN_PROBLEM_STATUSES, workaround_published_at__isnull=False
        )
        .exclude(workaround="")
        .prefetch_related(Prefetch("services", queryset=BusinessService.objects.order_by("name")))
    )
    filterset = KnownErrorFilterSet(filters or {}, queryset=qs)
    if not filterset.is_valid():
        raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
    return filterset.qs.order_by("-workaround_published_at", "-pk")


def known_error_matches(*, user: User, service_id: Any = None, title: str = "") -> list[Problem]:
    """Known errors that look like what someone is reporting: the same service and/or words of
    the title, best first (service and two or more words beat one word)."""
    words = title_words(title)
    if not words and not service_id:
        return []
    by_words = Q()
    for word in words:
        by_words |= Q(title__icontains=word)
    candidates = Problem.objects.filter(
        status__in=OPEN_PROBLEM_STATUSES, workaround_published_at__isnull=False
    ).exclude(workaround="")
    match = by_words | Q(services__id=service_id) if service_id else by_words
    found = list(candidates.filter(match).prefetch_related("services").distinct()[:50])

    def score(problem: Problem) -> tuple[int, Any]:
        title_lower = problem.title.lower()
        hits = sum(1 for w in words if w in title_lower)
        same_service = any(str(s.pk) == str(service_id) for s in problem.services.all())
        return (hits + (2 if same_service else 0), problem.workaround_published_at)

    ranked = sorted(found, key=score, reverse=True)
    return [p for p in ranked if score(p)[0] > 0][:KNOWN_ERROR_MATCH_LIMIT]


def known_error_get(*, user: User, pk: Any) -> Problem:
    try:
        return known_error_list(user=user).get(pk=int(pk))
    except (Problem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such known error.") from None


# --- canned replies, for analysts ------------------------------------------------------------
def canned_reply_list(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[CannedReply]:
    """Every team's replies, for analysts (a requester sees none)."""
    if not access.is_agent(user):
        return CannedReply.objects.none()
    qs = CannedReply.objects.select_related("team", "created_by")
    filterset = CannedReplyFilterSet(filters or {}, queryset=qs)
    if not filterset.is_valid():
        raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
    return filterset.qs.order_by("team__name", "title", "pk")


def canned_replies_for(*, user: User, incident: Incident) -> list[CannedReply]:
    """The active replies offered on a ticket: its team's, then the analyst's own teams'."""
    teams = {incident.team_id} | set(user.team_ids) | set(user.led_team_ids)
    teams.discard(None)
    replies = canned_reply_list(user=user).filter(team_id__in=teams, is_active=True)
    return sorted(replies, key=lambda r: (r.team_id != incident.team_id, r.team.name, r.title))


def canned_reply_get(*, user: User, pk: Any) -> CannedReply:
    try:
        return canned_reply_list(user=user).get(pk=int(pk))
    except (CannedReply.DoesNotExist, ValueError, TypeError):
        raise Http404("No such canned reply.") from None


# --- people, for logging on behalf of a caller -----------------------------------------------
PEOPLE_SEARCH_LIMIT = 10


def people_search(*, user: User, q: str) -> QuerySet[User]:
    """Active people by name, username or e-mail (every word must match). Analysts only."""
    words = (q or "").split()[:4]
    if not access.is_agent(user) or not words or len("".join(words)) < 2:
        return User.objects.none()
    qs = User.objects.filter(is_active=True).select_related("department")
    for word in words:
        qs = qs.filter(
            Q(username__icontains=word)
            | Q(email__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(display_name__icontains=word)
        )
    return qs.order_by("display_name", "username", "pk")


def problem_link_preview(*, user: User, problem: Problem, incident_ids: Any) -> list[Any]:
    """What linking these incidents to ``problem`` would do, row by row (nothing is written)."""
    from .linking import link_plan

    incidents = (
        incident_scope(user=user)
        .filter(pk__in=list(incident_ids))
        .select_related("problem", "requester")
        .order_by("pk")
    )
    return link_plan(problem, incidents)


def routing_rules() -> QuerySet[RoutingRule]:
    """Every routing rule, in evaluation order (everyone signed in may read them)."""
    return RoutingRule.objects.select_related("created_by").order_by("position", "id")


# --- SLA configuration -----------------------------------------------------------------------
def sla_policies() -> QuerySet[Any]:
    """Every SLA policy in the order they are tried (two prefetches: services, categories)."""
    from .models import SlaPolicy

    return SlaPolicy.objects.prefetch_related("services", "categories").order_by("position", "pk")


def escalation_rules() -> QuerySet[Any]:
    from .models import EscalationRule

    return EscalationRule.objects.order_by("position", "pk")


def calendar_specs(calendar_ids: Any) -> dict[int, Any]:
    """Calendar specs for the SLA clocks of a page of incidents (three queries, or none when
    every clock runs 24 x 7)."""
    from org.business_time import CalendarSpec
    from org.models import BusinessCalendar

    ids = {pk for pk in calendar_ids if pk is not None}
    if not ids:
        return {}
    rows = BusinessCalendar.objects.filter(pk__in=ids).prefetch_related("hours", "holidays")
    return {row.pk: CalendarSpec.from_calendar(row) for row in rows}


@functools.cache
def always_calendar() -> Any:
    """The 24 x 7 calendar of clocks without one, built once: its per-day working intervals are
    cached on it, so a list of clocks (the 500 rows "breaching soon" sorts) computes them once
    rather than once per row."""
    from org.business_time import CalendarSpec

    return CalendarSpec.always()


# The clock fields ``sla_time_left`` reads ("breaching soon" sorts 500 rows by it, fetching
# only these).
SLA_TIME_LEFT_FIELDS = (
    "calendar_id",
    "computed_at",
    "paused_since",
    "response_elapsed",
    "response_target",
    "responded_at",
    "resolution_elapsed",
    "resolution_target",
    "stopped_at",
)


# The clock fields ``sla_time_left`` reads, as a plain tuple with names.
ClockState = namedtuple("ClockState", SLA_TIME_LEFT_FIELDS)  # type: ignore[misc]


def clock_states(*, ids: list[int]) -> dict[int, Any]:
    """The SLA clock fields ``sla_time_left`` reads, of the incidents given (those with a
    clock), by incident id: plain values, one query."""
    rows = IncidentSla.objects.filter(incident_id__in=ids).values_list(
        "incident_id", *SLA_TIME_LEFT_FIELDS
    )
    return {row[0]: ClockState._make(row[1:]) for row in rows}


def breaching_candidates(
    *, user: User, filters: Mapping[str, Any] | None, conditions: QueueConditions
) -> QuerySet[Incident]:
    """The "breaching soon" tab before its at-risk condition: the user's, the user's teams' and
    nobody's running tickets, filtered (``breaching_soon`` picks the ones at risk)."""
    return incident_list(user=user, filters=filters).filter(conditions.breaching_candidates)


def breaching_soon(
    candidates: QuerySet[Incident], *, limit: int, now: datetime | None = None
) -> list[tuple[int, datetime | None, Any]]:
    """The first ``limit`` of the candidates at risk (``Incident.at_risk_at`` passed), by due
    time: ``(id, due_at, clock state or None)``.

    The at-risk ones are a range of ``inc_running_at_risk_idx``, which carries the team, the
    assignee and the due time: read from the index, sorted by due time, the first ``limit``
    kept. On PostgreSQL their clocks come in the same statement, each read by its key
    (``LATERAL … LIMIT 1``: joined, the planner hashed every clock, ~7 ms at 1,000,000
    incidents); elsewhere by id after. (Before the instant was kept on the row,
    each candidate's clock was read to decide: at 1,000,000 incidents ~4 ms a page.)"""
    from django.db import connection

    now = now or timezone.now()
    at_risk = (
        candidates.select_related(None)
        .filter(at_risk_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", "due_at")[:limit]
    )
    if connection.vendor != "postgresql":
        rows = list(at_risk)
        states = clock_states(ids=[pk for pk, _ in rows])
        return [(pk, due_at, states.get(pk)) for pk, due_at in rows]
    try:
        inner, inner_params = at_risk.query.sql_with_params()
    except EmptyResultSet:
        return []
    clock = (
        IncidentSla.objects.filter(incident_id=RawSQL('"candidate"."id"', ()))
        .values_list("incident_id", *SLA_TIME_LEFT_FIELDS)
        .order_by()[:1]
    )
    clock_sql, clock_params = clock.query.sql_with_params()
    names = ", ".join(f'"clock"."{name}"' for name in SLA_TIME_LEFT_FIELDS)
    sql = (
        f'SELECT "candidate"."id", "candidate"."due_at", "clock"."incident_id", {names} '  # noqa: S608 - ORM-compiled
        f'FROM ({inner}) AS "candidate" ("id", "due_at") '
        f'LEFT JOIN LATERAL ({clock_sql}) AS "clock" ON TRUE '
        'ORDER BY "candidate"."due_at", "candidate"."id"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *clock_params])
        return [
            (row[0], row[1], ClockState._make(row[3:]) if row[2] is not None else None)
            for row in cursor.fetchall()
        ]


def sla_time_left(state: Any, now: datetime, specs: Mapping[int, Any]) -> tuple[Any, Any]:
    """Business time left to respond and to resolve on an incident's clocks (negative:
    overdue; None: no target, or that clock has stopped)."""
    from .sla import ZERO, remaining_now

    spec = specs.get(state.calendar_id) if state.calendar_id else always_calendar()
    running = state.paused_since is None and state.stopped_at is None
    if spec is not None and spec.round_the_clock:
        # every instant counts: the time since the clock was computed, once for both parts,
        # by subtraction in UTC (org.business_time.elapsed; "breaching soon" sorts 500 clocks)
        since = ZERO
        if running and now > state.computed_at:
            since = now.astimezone(UTC) - state.computed_at.astimezone(UTC)
        response, resolution = state.response_target, state.resolution_target
        return (
            None
            if response is None or state.responded_at is not None
            else response - (state.response_elapsed + since),
            None
            if resolution is None or state.stopped_at is not None
            else resolution - (state.resolution_elapsed + since),
        )

    def left(target: Any, spent: Any, stopped: bool) -> Any:
        if target is None or spec is None or stopped:
            return None
        return remaining_now(
            spec,
            target=target,
            elapsed_at_compute=spent,
            computed_at=state.computed_at,
            now=now,
            running=running,
        )

    return (
        left(state.response_target, state.response_elapsed, state.responded_at is not None),
        left(state.resolution_target, state.resolution_elapsed, state.stopped_at is not None),
    )


def sla_summary(incident: Incident, now: datetime, specs: Mapping[int, Any]) -> dict[str, Any]:
    """What the analyst reads about an incident's SLA: the badge, the policy, business time
    left to respond and to resolve (negative: overdue), the due instants, why it is paused."""
    from .sla import Badge, badges

    try:
        state = incident.sla
    except ObjectDoesNotExist:
        return {"badge": Badge.NONE, "label": Badge.LABELS[Badge.NONE]}
    response_badge, resolution_badge, badge = badges(state, now)
    response_left, resolution_left = sla_time_left(state, now, specs)
    return {
        "state": state,
        "badge": badge,
        "label": Badge.LABELS[badge],
        "response_badge": response_badge,
        "resolution_badge": resolution_badge,
        "policy": state.policy_name,
        "response_left": response_left,
        "resolution_left": resolution_left,
        "pause_reason": state.get_pause_reason_display() if state.paused_since else "",
    }
