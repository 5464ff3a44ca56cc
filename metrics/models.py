"""What the metrics app keeps of its own: the minimum-cases setting and the daily rollups.

Rollups are per-incident fact rows (one per incident, keyed by the UTC day it was created),
materialised by ``metrics.services.rollup_rebuild_day`` from the very query the live figures
use. Aggregating them gives exactly the live numbers for any period boundary in any time zone,
without the joins, event scans and business-calendar arithmetic of the live query."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from servicedesk import clock


class MetricsSettings(models.Model):
    """One row (pk 1): how many cases a figure needs before it is shown without a warning."""

    min_cases = models.PositiveIntegerField(
        default=5,
        help_text="A figure computed over fewer cases than this is marked as too few cases.",
    )
    repeat_window_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="An incident is a repeat when the same person reported another incident on "
        "the same service within this many days before it.",
    )
    # side by side: when SLA "looks green" and when outcomes are "poor" or "good"
    sla_green_from = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        help_text="Resolution compliance (0-1) from which a service's SLA looks green.",
    )
    satisfied_poor_below = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.700"),
        help_text="Share satisfied (0-1) below which a service's outcomes are poor.",
    )
    satisfied_good_from = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.850"),
        help_text="Share satisfied (0-1) from which a service's outcomes are good.",
    )
    restore_poor_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("24.00"),
        help_text="Median wall-clock time to restore (hours) above which outcomes are poor "
        "(at or below it they may be good).",
    )

    class Meta:
        verbose_name = "metrics settings"
        verbose_name_plural = "metrics settings"
        constraints = [
            models.CheckConstraint(condition=Q(min_cases__gte=1), name="met_min_cases_1"),
            models.CheckConstraint(condition=Q(repeat_window_days__gte=1), name="met_repeat_1"),
            models.CheckConstraint(
                condition=Q(
                    sla_green_from__gte=0,
                    sla_green_from__lte=1,
                    satisfied_poor_below__gte=0,
                    satisfied_good_from__lte=1,
                    satisfied_poor_below__lte=F("satisfied_good_from"),
                    restore_poor_hours__gt=0,
                ),
                name="met_side_by_side_thresholds",
            ),
        ]

    def __str__(self) -> str:
        return f"at least {self.min_cases} cases"


class IncidentFact(models.Model):
    """One incident as the metrics see it, as of the last rebuild of its creation day."""

    incident_id = models.BigIntegerField(unique=True)
    day = models.DateField(help_text="UTC day the incident was created (the rebuild unit).")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    service_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField()
    category_id = models.BigIntegerField(null=True, blank=True)
    affected_users = models.PositiveIntegerField(default=1)
    wall_seconds = models.FloatField(null=True, blank=True)
    business_seconds = models.FloatField(null=True, blank=True)
    reopened = models.BooleanField(default=False)
    first_contact = models.BooleanField(default=False)
    is_repeat = models.BooleanField(default=False)
    # SLA (``metrics.sla``): the stored clocks, judged on the effective and the matrix priority
    matrix_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    bypassed_priority = models.BooleanField(default=False)
    response_settled_at = models.DateTimeField(null=True, blank=True)
    response_met = models.BooleanField(null=True, blank=True)
    resolution_met = models.BooleanField(null=True, blank=True)
    response_met_matrix = models.BooleanField(null=True, blank=True)
    resolution_met_matrix = models.BooleanField(null=True, blank=True)
    ack_seconds = models.FloatField(null=True, blank=True)
    ack_business_seconds = models.FloatField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)
    wait_requester_seconds = models.FloatField(default=0)
    wait_vendor_seconds = models.FloatField(default=0)
    wait_change_seconds = models.FloatField(default=0)
    wait_other_seconds = models.FloatField(default=0)
    # fairness (``metrics.exceptions``): restored (resolved, not a merged duplicate) and the
    # requester's seniority band and VIP flag as of the rebuild
    restored = models.BooleanField(default=False)
    requester_band = models.CharField(max_length=20, blank=True)
    requester_vip = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="met_fact_day_idx"),
            models.Index(fields=["resolved_at"], name="met_fact_resolved_idx"),
            models.Index(fields=["created_at"], name="met_fact_created_idx"),
            models.Index(fields=["service_id", "resolved_at"], name="met_fact_service_idx"),
            models.Index(fields=["response_settled_at"], name="met_fact_responded_idx"),
        ]

    def __str__(self) -> str:
        return f"fact for incident {self.incident_id}"


class QueueJumpFact(models.Model):
    """One ``incident.queue_jumped`` event with what it did to the queue (``metrics.queue_jumps``):
    the tickets it moved ahead of, how many of them were answered after the jumper, and their
    added wait. Rebuilt with the jumper's creation day and with the creation day of the tickets
    it may have passed (the ``QUEUE_HORIZON`` before it)."""

    event_id = models.BigIntegerField(unique=True)
    incident_id = models.BigIntegerField()
    day = models.DateField(help_text="UTC day the jumping incident was created.")
    created_at = models.DateTimeField(help_text="When the jump happened.")
    service_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField()
    requester_band = models.CharField(max_length=20, blank=True)
    requester_vip = models.BooleanField(default=False)
    jumped = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    waited_seconds = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="met_jump_created_idx"),
            models.Index(fields=["day"], name="met_jump_day_idx"),
        ]

    def __str__(self) -> str:
        return f"queue jump {self.event_id} by incident {self.incident_id}"


class EventFact(models.Model):
    """One dated thing that happened to an incident and that outcome figures count by when it
    happened (``metrics.event_facts``): a resolution (``incident.resolved`` event), a rating
    (``incidents.Satisfaction``: ``value`` is the rating) or the first workaround reaching the
    incident (``value``: seconds from the incident's creation). Rebuilt with the incident's
    creation day, with the incident's service, team and priority as of the rebuild."""

    class Kind(models.TextChoices):
        RESOLVED = "resolved", "resolved"
        RATED = "rated", "rated"
        WORKAROUND = "workaround", "first workaround"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    source_id = models.BigIntegerField(help_text="The event's or the rating's id.")
    incident_id = models.BigIntegerField()
    day = models.DateField(help_text="UTC day the incident was created (the rebuild unit).")
    created_at = models.DateTimeField()
    service_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField()
    value = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "created_at"], name="met_event_kind_time_idx"),
            models.Index(fields=["day"], name="met_event_day_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_id"], name="met_event_one_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} of incident {self.incident_id}"


class RollupDay(models.Model):
    """When a day's facts were last rebuilt, and how many there are."""

    day = models.DateField(unique=True)
    rebuilt_at = models.DateTimeField(default=clock.now)
    incidents = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}: {self.incidents} incidents"


class RollupSweep(models.Model):
    """A sweep that brought every touched day up to date; the next one looks only at
    incidents changed since this one started."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(default=clock.now)
    days = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sweep at {self.started_at:%Y-%m-%d %H:%M}: {self.days} days"
