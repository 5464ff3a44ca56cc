"""What the metrics app keeps of its own: the minimum-cases setting and the daily rollups.

Rollups are per-incident fact rows (one per incident, keyed by the UTC day it was created),
materialised by ``metrics.services.rollup_rebuild_day`` from the very query the live figures
use. Aggregating them gives exactly the live numbers for any period boundary in any time zone,
without the joins, event scans and business-calendar arithmetic of the live query."""

from django.db import models
from django.db.models import Q

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

    class Meta:
        verbose_name = "metrics settings"
        verbose_name_plural = "metrics settings"
        constraints = [
            models.CheckConstraint(condition=Q(min_cases__gte=1), name="met_min_cases_1"),
            models.CheckConstraint(condition=Q(repeat_window_days__gte=1), name="met_repeat_1"),
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

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="met_fact_day_idx"),
            models.Index(fields=["resolved_at"], name="met_fact_resolved_idx"),
            models.Index(fields=["created_at"], name="met_fact_created_idx"),
            models.Index(fields=["service_id", "resolved_at"], name="met_fact_service_idx"),
        ]

    def __str__(self) -> str:
        return f"fact for incident {self.incident_id}"


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
