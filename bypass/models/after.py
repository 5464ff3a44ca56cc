"""What comes after and around a bypass: break-glass policies (which gates, who, for how long)
and suspensions of the right, the review after use, and standard bypasses (narrow rules that
pre-approve a recurring low-risk pattern)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import Outcome, ReasonCategory, Treatment


class BreakGlassPolicy(models.Model):
    """A gate on which break-glass may be declared: by whom (a group), with which treatment,
    for how long and how many uses, and by when it must be ratified. One active per gate."""

    gate_id = models.CharField(max_length=100)
    eligible_group = models.CharField(max_length=150)
    treatment = models.CharField(max_length=20, choices=Treatment.choices, default=Treatment.SKIP)
    ttl_minutes = models.PositiveIntegerField(default=120)
    max_uses = models.PositiveIntegerField(default=2)
    ratify_within_hours = models.PositiveIntegerField(default=24)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["gate_id"]
        verbose_name_plural = "break-glass policies"
        constraints = [
            models.UniqueConstraint(
                fields=["gate_id"], condition=Q(is_active=True), name="byp_bg_policy_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"break-glass on {self.gate_id} for {self.eligible_group}"


class BreakGlassSuspension(models.Model):
    """A repudiated break-glass suspends that person's right on that gate until the process
    owner restores it (both facts are on the ledger)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_suspensions"
    )
    gate_id = models.CharField(max_length=100)
    request = models.ForeignKey(
        "bypass.BypassRequest", on_delete=models.PROTECT, related_name="suspensions"
    )
    created_at = models.DateTimeField()
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    restore_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "gate_id"],
                condition=Q(restored_at=None),
                name="byp_bg_one_open_suspension",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} suspended on {self.gate_id}"


class BypassReview(models.Model):
    """The review after use: how it turned out and what about the process did not fit."""

    request = models.OneToOneField(
        "bypass.BypassRequest", on_delete=models.PROTECT, related_name="review"
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    reviewer_name = models.CharField(max_length=150)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    links = models.JSONField(default=list, blank=True, help_text="References or addresses.")
    misfit = models.TextField(help_text="What about the process did not fit?")
    proposal = models.TextField(blank=True)
    learning = models.BooleanField(default=False, help_text="A blameless learning review.")
    ledger_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"review of {self.request_id}: {self.outcome}"


class StandardBypass(models.Model):
    """A narrow rule (gate + reason + service tier + subject type) that pre-approves matching
    low-risk requests. Reviewed periodically; demoted automatically when the reviewed
    outcomes of its uses degrade past ``degrade_percent`` (after ``degrade_min_reviews``)."""

    title = models.CharField(max_length=200)
    gate_id = models.CharField(max_length=100)
    treatment = models.CharField(max_length=20, choices=Treatment.choices)
    reason_category = models.CharField(max_length=30, choices=ReasonCategory.choices)
    service_tier = models.PositiveSmallIntegerField()
    subject_type = models.CharField(max_length=60)
    max_duration_hours = models.PositiveIntegerField(default=24)
    max_uses = models.PositiveIntegerField(default=1)
    review_every_days = models.PositiveIntegerField(default=90)
    next_review_at = models.DateTimeField()
    degrade_percent = models.PositiveSmallIntegerField(default=34)
    degrade_min_reviews = models.PositiveSmallIntegerField(default=3)
    is_active = models.BooleanField(default=True)
    demoted_at = models.DateTimeField(null=True, blank=True)
    demoted_reason = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["gate_id", "id"]
        indexes = [models.Index(fields=["gate_id", "is_active"], name="byp_std_gate_idx")]

    def __str__(self) -> str:
        return self.title
