"""Process configuration that admins edit: categories, the priority matrix, resolution targets."""

from datetime import timedelta

from django.db import models
from django.db.models import Q

from incidents.choices import Level, Priority
from servicedesk.durations import format_duration


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PriorityRule(models.Model):
    """One cell of the impact x urgency matrix. The full 4x4 grid is seeded by migration."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="inc_matrix_cell_unique"),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=4, urgency__gte=1, urgency__lte=4)
                & Q(priority__gte=1, priority__lte=4),
                name="inc_matrix_values_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} x urgency {self.urgency} -> P{self.priority}"


class ResolutionTarget(models.Model):
    """How long a requester may expect to wait, by priority (wall-clock until SLA clocks on
    business calendars replace it)."""

    priority = models.PositiveSmallIntegerField(choices=Priority.choices, unique=True)
    resolve_within = models.DurationField(default=timedelta(days=3))

    class Meta:
        ordering = ["priority"]

    def __str__(self) -> str:
        return f"P{self.priority}: {format_duration(self.resolve_within)}"
