"""Incidents, their conversation, attachments, satisfaction and the append-only event table."""

import re
import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q

from incidents.choices import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    AssignmentSource,
    Channel,
    IncidentStatus,
    Level,
    PendingReason,
    Priority,
    ResolutionCode,
)
from servicedesk import clock
from servicedesk.batching import BatchingQuerySet
from servicedesk.models import ClockedUpdatedAt

REF_PREFIX = "INC-"
REF_RE = re.compile(r"^\s*INC-?0*(\d+)\s*$", re.IGNORECASE)


class Incident(models.Model):
    """Something is broken for someone. ``status`` changes only through ``incidents.services``."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # No single-column indexes where a composite one leads with the column (the requester's,
    # the team's and the assignee's lists, the priority order): each index the planner weighs
    # costs every query on this table planning time (at 1,000,000 incidents the "breaching
    # soon" count planned in 5.4 ms instead of 6.8 without these four).
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incidents_requested",
        db_index=False,  # inc_requester_idx
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    service = models.ForeignKey(
        "org.BusinessService",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    category = models.ForeignKey(
        "incidents.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)  # inc_order_priority_idx
    team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        db_index=False,  # inc_team_created_idx
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_assigned",
        db_index=False,  # inc_assignee_idx
    )
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    assignment_source = models.CharField(
        max_length=12,
        choices=AssignmentSource.choices,
        blank=True,
        default=AssignmentSource.NONE,
        editable=False,
        help_text="How the team or assignee was chosen (a person's choice is never overridden "
        "by routing rules).",
    )
    routing_rule = models.ForeignKey(
        "incidents.RoutingRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The rule that routed it, when a rule did.",
    )
    rules_team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The team the routing rules computed; ``team`` is the effective one.",
    )
    team_source = models.CharField(
        max_length=20,
        blank=True,
        default="",
        editable=False,
        help_text="Where a routed team comes from: 'rules', or the bypass (BYP-…) overriding them.",
    )
    pending_reason = models.CharField(max_length=10, choices=PendingReason.choices, blank=True)
    affected_users = models.PositiveIntegerField(default=1)
    is_major = models.BooleanField("major incident", default=False)
    matrix_priority = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The priority matrix's cell; ``priority`` is the effective one.",
    )
    queue_rank = models.PositiveSmallIntegerField(
        default=0,
        editable=False,
        help_text="0: the queue's normal order; above 0: moved ahead of that order by a bypass "
        "of the queue-order gate (see ``queue_source``).",
    )
    queue_source = models.CharField(
        max_length=20,
        default="order",
        editable=False,
        help_text="Where the queue position comes from: 'order', or the bypass (BYP-…).",
    )
    priority_source = models.CharField(
        max_length=20,
        default="matrix",
        editable=False,
        help_text="Where the effective priority comes from: 'matrix', or the bypass (BYP-…).",
    )
    workaround = models.TextField(blank=True)
    resolution_code = models.CharField(max_length=12, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    problem = models.ForeignKey(
        "incidents.Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
        help_text="The ticket this duplicate was merged into (set only by the merge service).",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="incidents_watched"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = ClockedUpdatedAt()
    due_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text='When its SLA clock comes at risk ("breaching soon"); empty: never. Kept by '
        "database triggers from the clock and the due time (incidents.at_risk): no code writes it.",
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    requester_replied_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the requester's oldest unanswered public reply came in (set and "
        "cleared by the conversation services; drives the queue's 'requester replied' flag).",
    )

    search_document = SearchVectorField(
        null=True,
        editable=False,
        help_text="Reference, title, description and public comments for full-text search "
        "(PostgreSQL; kept current by the services, see incidents.search).",
    )

    objects = BatchingQuerySet["Incident"].as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "team", "priority"], name="inc_queue_idx"),
            models.Index(fields=["assignee", "status"], name="inc_assignee_idx"),
            models.Index(fields=["requester", "-created_at"], name="inc_requester_idx"),
            models.Index(fields=["status", "due_at"], name="inc_due_idx"),
            models.Index(fields=["status", "resolved_at"], name="inc_resolved_idx"),
            models.Index(fields=["updated_at", "id"], name="inc_changes_idx"),
            # metrics: restorations in a period, whatever the status
            models.Index(
                fields=["resolved_at"],
                name="inc_resolved_at_idx",
                condition=Q(resolved_at__isnull=False),
            ),
            # Lists (issue 9): one index per supported order, each ending with the id that
            # breaks ties, so ORDER BY … LIMIT and the cursor's row comparison are range scans.
            models.Index(fields=["-created_at", "-id"], name="inc_order_created_idx"),
            models.Index(fields=["priority", "id"], name="inc_order_priority_idx"),
            models.Index(fields=["due_at", "id"], name="inc_order_due_idx"),
            models.Index(fields=["status", "id"], name="inc_order_status_idx"),
            # the common filters in the default (newest first) order
            models.Index(fields=["team", "-created_at", "-id"], name="inc_team_created_idx"),
            models.Index(
                fields=["assignee", "-created_at", "-id"], name="inc_assignee_created_idx"
            ),
            models.Index(fields=["status", "-created_at", "-id"], name="inc_status_created_idx"),
            # the queues: open incidents only (a few per cent of the table)
            models.Index(
                F("queue_rank").desc(),
                "priority",
                "due_at",
                "id",
                name="inc_open_queue_order_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["-created_at", "-id"],
                name="inc_open_created_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # the queue sorted by priority, due time or last update: walking the whole table's
            # (priority, id) for the open ones of a team read 20,000 closed P1s first (74 ms at
            # 1,000,000), its (due_at, id) 39,000 closed rows (30 ms).
            models.Index(
                fields=["priority", "id"],
                name="inc_open_priority_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # ... and "breaching soon" (selectors.breaching_soon): its candidates in due order,
            # whose (team, assignee) and status read from the index, not from each row.
            models.Index(
                fields=["due_at", "id", "team_id", "assignee_id", "status"],
                name="inc_open_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # ... and which of them are at risk (incidents.at_risk), for the tab's count and rows
            models.Index(
                fields=["at_risk_at", "team_id", "assignee_id", "due_at", "id"],
                name="inc_running_at_risk_idx",
                condition=Q(status__in=RUNNING_STATUSES),
            ),
            models.Index(
                fields=["updated_at", "id"],
                name="inc_open_updated_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # the triage tab (open, no team), oldest first, and its count
            models.Index(
                fields=["created_at", "id"],
                name="inc_open_untriaged_idx",
                condition=Q(status__in=OPEN_STATUSES, team__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=4, urgency__gte=1, urgency__lte=4),
                name="inc_levels_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | ~Q(pending_reason=""),
                name="inc_pending_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk:06d}" if self.pk else f"{REF_PREFIX}(new)"

    @staticmethod
    def id_from_ref(text: str) -> int | None:
        """``INC-000012`` → 12; None for anything else, and for numbers no row can have."""
        match = REF_RE.match(text or "")
        digits = match.group(1).lstrip("0") if match else ""
        if not digits or len(digits) > 19:  # bigint ids have at most 19 digits
            return None
        pk = int(digits)
        return pk if pk <= 2**63 - 1 else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IncidentEvent(models.Model):
    """Append-only: UPDATE and DELETE are refused by a database trigger (migration 0002)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    objects = BatchingQuerySet["IncidentEvent"].as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="inc_event_timeline_idx"),
            # metrics: events of one type in a period (resolutions, workarounds, queue jumps)
            models.Index(fields=["type", "created_at"], name="inc_event_type_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} by {self.actor_name}"


class IncidentComment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="inc_comment_idx")]

    def __str__(self) -> str:
        return f"{'note' if self.is_internal else 'comment'} on {self.incident_id}"


def attachment_path(instance: "IncidentAttachment", filename: str) -> str:
    """A random name: the original name never reaches the file system."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"incidents/{instance.incident_id}/{uuid.uuid4().hex}{suffix}"


class IncidentAttachment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class Satisfaction(models.Model):
    """The requester's rating of one resolution (a reopened-and-resolved incident asks again)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="ratings")
    resolution_number = models.PositiveSmallIntegerField()
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        # metrics: ratings given in a period
        indexes = [models.Index(fields=["created_at"], name="inc_rating_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "resolution_number"], name="inc_one_rating_per_resolution"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="inc_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.incident_id}"
