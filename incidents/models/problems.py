"""Problems: the cause behind one or more incidents, a workaround now, a permanent fix later."""

import re

from django.conf import settings
from django.db import models

from incidents.choices import ProblemStatus
from servicedesk import clock
from servicedesk.models import ClockedUpdatedAt

REF_PREFIX = "PRB-"
REF_RE = re.compile(r"^\s*PRB-?0*(\d+)\s*$", re.IGNORECASE)


class Problem(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    services = models.ManyToManyField("org.BusinessService", blank=True, related_name="problems")
    status = models.CharField(
        max_length=14, choices=ProblemStatus.choices, default=ProblemStatus.NEW, db_index=True
    )
    owner_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    root_cause = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    workaround_published_at = models.DateTimeField(null=True, blank=True)
    permanent_fix = models.TextField(blank=True)
    fix_change_ref = models.CharField(
        "fixing change",
        max_length=20,
        blank=True,
        help_text="Reference of the change that delivers the permanent fix (e.g. CHG-000042).",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = ClockedUpdatedAt()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["updated_at", "id"], name="prb_changes_idx")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @staticmethod
    def id_from_ref(text: str) -> int | None:
        match = REF_RE.match(text or "")
        return int(match.group(1)) if match else None

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk:06d}" if self.pk else f"{REF_PREFIX}(new)"


class ProblemEvent(models.Model):
    """Append-only, like IncidentEvent."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14, blank=True)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["problem", "created_at"], name="prb_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.type} by {self.actor_name}"
