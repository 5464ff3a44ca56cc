"""What the process owner maintains: standard-change templates, change authorities, the
authority matrix and freeze windows."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from changes.choices import Category, DecisionRule, RiskClass, TemplateStatus
from servicedesk import clock
from servicedesk.models import ClockedUpdatedAt


class ChangeTemplate(models.Model):
    """A pre-authorised standard change. Created and edited as a proposal; active once the
    process owner approves it. ``status`` changes only through ``changes.services``."""

    title = models.CharField(max_length=200, unique=True)
    procedure = models.TextField()
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    implementation_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    services = models.ManyToManyField("org.BusinessService", blank=True, related_name="+")
    max_duration = models.DurationField(default=timedelta(hours=2))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_templates"
    )
    status = models.CharField(
        max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.PROPOSED
    )
    failure_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.20"),
        help_text="Share of failed or backed-out changes (0 to 1) above which the template is "
        "flagged for review.",
    )
    min_sample = models.PositiveSmallIntegerField(
        default=5, help_text="Completed changes needed before the failure rate is judged."
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(failure_threshold__gte=0, failure_threshold__lte=1),
                name="chg_template_threshold_0_1",
            ),
            models.CheckConstraint(
                condition=Q(max_duration__gt=timedelta(0)), name="chg_template_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChangeAuthority(models.Model):
    """Who authorises, and how many of them must agree."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    rule = models.CharField(max_length=10, choices=DecisionRule.choices, default=DecisionRule.ANY)
    required = models.PositiveSmallIntegerField(
        default=1, help_text="For 'n of m': how many approvals settle it."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="change_authorities"
    )
    is_emergency = models.BooleanField(
        default=False, help_text="Authorises emergency changes, whatever the matrix says."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "change authorities"
        constraints = [
            models.CheckConstraint(condition=Q(required__gte=1), name="chg_authority_required_1"),
        ]

    def __str__(self) -> str:
        return self.name


class AuthorityRule(models.Model):
    """One cell position of the matrix: (category, risk class) → the authority at ``position``
    of the chain that must authorise, in order."""

    category = models.CharField(max_length=20, choices=Category.choices)
    risk_class = models.CharField(max_length=10, choices=RiskClass.choices)
    position = models.PositiveSmallIntegerField(default=1)
    authority = models.ForeignKey(ChangeAuthority, on_delete=models.PROTECT, related_name="rules")

    class Meta:
        ordering = ["category", "risk_class", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "risk_class", "position"], name="chg_matrix_unique_position"
            ),
            models.UniqueConstraint(
                fields=["category", "risk_class", "authority"], name="chg_matrix_unique_authority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}/{self.risk_class} #{self.position}: {self.authority_id}"


class FreezeWindow(models.Model):
    """A period in which no change may be scheduled on its services (none listed: all)."""

    name = models.CharField(max_length=120)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField()
    services = models.ManyToManyField("org.BusinessService", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="chg_freeze_period_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="chg_freeze_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name
