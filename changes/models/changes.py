"""Change requests, their authorisation decisions, incident links and the append-only event
table."""

import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from changes.choices import (
    OPEN_STATUSES,
    Category,
    ChangeStatus,
    ChangeType,
    Complexity,
    Impact,
    IncidentRelation,
    Outcome,
    RiskClass,
    Verdict,
)
from servicedesk import clock
from servicedesk.models import ClockedUpdatedAt

REF_PREFIX = "CHG-"
REF_RE = re.compile(r"^\s*CHG-?0*(\d+)\s*$", re.IGNORECASE)


class Change(models.Model):
    """A request to change production. ``status`` changes only through ``changes.services``."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    template = models.ForeignKey(
        "changes.ChangeTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    services = models.ManyToManyField("org.BusinessService", blank=True, related_name="changes")
    configuration_items = models.TextField(blank=True, help_text="Affected CIs, free text.")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="changes_requested"
    )
    owner_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes_implemented",
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    implementation_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True, help_text="How it was tested, and how it will be.")
    # risk questionnaire
    impact_if_fails = models.PositiveSmallIntegerField(
        choices=Impact.choices, null=True, blank=True
    )
    complexity = models.CharField(max_length=10, choices=Complexity.choices, blank=True)
    tested = models.BooleanField(null=True, blank=True)
    backout_tested = models.BooleanField(null=True, blank=True)
    service_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_class = models.CharField(max_length=10, choices=RiskClass.choices, blank=True)
    # lifecycle
    status = models.CharField(
        max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT
    )
    revision = models.PositiveIntegerField(
        default=1,
        help_text="Bumped by an edit after submission: earlier approvals no longer count.",
    )
    authority_chain = models.JSONField(
        default=list, blank=True, help_text="Ids of the authorities that must authorise, in order."
    )
    stage = models.PositiveSmallIntegerField(default=0, help_text="Index into the chain.")
    current_authority = models.ForeignKey(
        "changes.ChangeAuthority",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The authority whose decision is awaited (the chain at ``stage``).",
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    # documentation deferred by an emergency authorisation
    documentation_due_at = models.DateTimeField(null=True, blank=True)
    documentation_chased_at = models.DateTimeField(null=True, blank=True)
    # post-implementation review
    pir_summary = models.TextField(blank=True)
    pir_lessons = models.TextField(blank=True)
    # what change metrics need
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = ClockedUpdatedAt()
    submitted_at = models.DateTimeField(null=True, blank=True)
    authorised_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(
        null=True, blank=True, help_text="When service was restored after a failed change."
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    problems = models.ManyToManyField("incidents.Problem", blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="chg_created_idx"),
            models.Index(fields=["updated_at", "id"], name="chg_feed_idx"),
            models.Index(fields=["status", "planned_start"], name="chg_schedule_idx"),
            models.Index(fields=["planned_start", "planned_end"], name="chg_window_idx"),
            models.Index(fields=["requester", "-created_at"], name="chg_requester_idx"),
            models.Index(fields=["status", "documentation_due_at"], name="chg_docs_due_idx"),
            models.Index(fields=["status", "current_authority"], name="chg_inbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="chg_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(type="standard") | Q(template__isnull=False),
                name="chg_standard_has_template",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk:06d}" if self.pk else f"{REF_PREFIX}(new)"

    @staticmethod
    def id_from_ref(text: str) -> int | None:
        match = REF_RE.match(text or "")
        return int(match.group(1)) if match else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def documentation_complete(self) -> bool:
        return bool(self.backout_plan.strip() and self.test_plan.strip())


class ChangeDecision(models.Model):
    """One member's approve / reject for one stage of one revision. Append-only."""

    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="decisions")
    authority = models.ForeignKey(
        "changes.ChangeAuthority", on_delete=models.PROTECT, related_name="decisions"
    )
    stage = models.PositiveSmallIntegerField()
    revision = models.PositiveIntegerField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_decisions"
    )
    approver_name = models.CharField(max_length=150)
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "revision", "stage", "approver"], name="chg_one_decision_each"
            ),
            models.CheckConstraint(
                condition=Q(verdict="approve") | ~Q(comment=""), name="chg_reject_has_comment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} by {self.approver_name}"


class ChangeIncidentLink(models.Model):
    """An incident caused by (or related to) a change. Lives in ``changes`` so that
    ``incidents`` never imports it."""

    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="change_links"
    )
    relation = models.CharField(
        max_length=10, choices=IncidentRelation.choices, default=IncidentRelation.CAUSED_BY
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "incident"], name="chg_incident_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.relation} {self.change_id}"


class ChangeEvent(models.Model):
    """Append-only: UPDATE and DELETE are refused by a database trigger (migration 0002)."""

    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["change", "created_at"], name="chg_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.type} by {self.actor_name}"
