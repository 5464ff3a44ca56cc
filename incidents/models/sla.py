"""SLA policies, each incident's stored SLA state and pauses, and escalation rules with the
escalations they applied (one row per incident, rule and level: applied exactly once)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import EscalationClock, PendingReason
from servicedesk import clock
from servicedesk.models import ClockedUpdatedAt

from .incidents import Incident


class SlaPolicy(models.Model):
    """First-response and resolution targets in business time. Policies are tried in
    ``position`` order; the first whose conditions all hold applies (an empty condition
    matches anything). Conditions are about the incident, never about the requester."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    is_active = models.BooleanField(default=True)
    priorities = models.JSONField(
        default=list, blank=True, help_text="Priorities (1-4) it applies to; empty: any."
    )
    channels = models.JSONField(
        default=list, blank=True, help_text="Channels it applies to; empty: any."
    )
    services = models.ManyToManyField(
        "org.BusinessService", blank=True, related_name="sla_policies"
    )
    categories = models.ManyToManyField(
        "incidents.Category", blank=True, related_name="sla_policies"
    )
    response_target = models.DurationField(default=timedelta(hours=4))
    resolution_target = models.DurationField(default=timedelta(days=3))
    calendar = models.ForeignKey(
        "org.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text="Hours the clocks run in (empty: the service's calendar, then the default).",
    )
    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(response_target__gt=timedelta(0))
                & Q(resolution_target__gt=timedelta(0)),
                name="inc_sla_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IncidentSla(models.Model):
    """An incident's SLA clocks as last computed by the services (and the sweep). Written only
    by ``incidents.services.sla``. ``next_check_at`` is when the sweep must look again (a
    breach or an escalation falls due); it is empty for incidents with nothing left to watch,
    so the sweep's index never holds closed incidents."""

    incident = models.OneToOneField(
        Incident, primary_key=True, on_delete=models.CASCADE, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_name = models.CharField(max_length=120, blank=True)
    calendar = models.ForeignKey(
        "org.BusinessCalendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    response_target = models.DurationField(null=True, blank=True)
    resolution_target = models.DurationField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    response_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    response_elapsed = models.DurationField(default=timedelta(0))
    resolution_elapsed = models.DurationField(default=timedelta(0))
    responded_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=10, choices=PendingReason.choices, blank=True)
    response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=clock.now)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "incident SLA"
        verbose_name_plural = "incident SLAs"
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="inc_sla_next_check_idx",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(
                fields=["resolution_at_risk_at"],
                name="inc_sla_at_risk_idx",
                condition=Q(stopped_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"SLA of {self.incident_id} ({self.policy_name or 'none'})"

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None


class SlaPause(models.Model):
    """One stretch the clocks stood still while the incident was pending, and on whom it
    waited (requester / vendor / change / other), so waiting time can be reported by cause."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sla_pauses")
    reason = models.CharField(max_length=10, choices=PendingReason.choices)
    waiting_on = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["incident", "started_at"], name="inc_sla_pause_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(ended_at__isnull=True),
                name="inc_sla_one_open_pause",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="inc_sla_pause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None


class EscalationRule(models.Model):
    """What happens as a clock runs down: at each level (a percentage of the response or
    resolution target, or business minutes since the last update) its actions apply once."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    clock = models.CharField(
        max_length=12, choices=EscalationClock.choices, default=EscalationClock.RESOLUTION
    )
    priorities = models.JSONField(
        default=list, blank=True, help_text="Priorities (1-4) it applies to; empty: any."
    )
    policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalation_rules",
        help_text="Only incidents under this SLA policy (empty: any).",
    )
    levels = models.JSONField(
        default=list,
        help_text='Ordered levels, e.g. [{"percent": 75, "actions": ["notify_team_lead"]}, '
        '{"percent": 150, "actions": ["reassign", "raise_priority"]}]; for the "since last '
        'update" clock use "minutes" instead of "percent".',
    )
    next_team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the 'reassign' action sends the incident.",
    )
    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Escalation(models.Model):
    """One level of one rule applied to one incident. The unique row is what makes the sweep
    apply each escalation exactly once, whichever worker gets there and however often."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    rule = models.ForeignKey(EscalationRule, on_delete=models.PROTECT, related_name="applied")
    level = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    applied_at = models.DateTimeField(default=clock.now)
    actions = models.JSONField(default=list, blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["applied_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "rule", "level"], name="inc_escalation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} level {self.level} on {self.incident_id}"
