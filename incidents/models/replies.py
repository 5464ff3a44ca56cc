"""Canned replies: a team's ready answers to common questions, with placeholders."""

from django.conf import settings
from django.db import models

from servicedesk import clock
from servicedesk.models import ClockedUpdatedAt


class CannedReply(models.Model):
    """Written by the team's lead (or a manager or admin) through ``incidents.services``;
    analysts insert it into the reply box, where ``{placeholders}`` are filled in."""

    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="canned_replies")
    title = models.CharField(max_length=120)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["team", "title"]
        verbose_name_plural = "canned replies"
        constraints = [
            models.UniqueConstraint(fields=["team", "title"], name="inc_canned_title_per_team"),
        ]
        indexes = [models.Index(fields=["team", "is_active", "title"], name="inc_canned_team_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.team_id})"
