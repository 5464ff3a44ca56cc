"""Routing rules (ordered, edited by process owners) and each team's round-robin cursor."""

from django.conf import settings
from django.db import models

from servicedesk import clock
from servicedesk.models import ClockedUpdatedAt


class RoutingRule(models.Model):
    """One ordered rule: conditions (AND/OR groups, see ``incidents.routing``) and actions.
    Written only by ``incidents.services.routing``, which validates both on every save."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower runs first.")
    is_enabled = models.BooleanField(default=False)
    stop_on_match = models.BooleanField(
        default=True, help_text="Stop at this rule when it matches (else continue)."
    )
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["is_enabled", "position", "id"], name="inc_routing_idx")]

    def __str__(self) -> str:
        return self.name


class RoutingCursor(models.Model):
    """Who a team's round robin gave the last incident to (locked while picking the next)."""

    team = models.OneToOneField("org.Team", on_delete=models.CASCADE, related_name="+")
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"round robin of team {self.team_id}"
