"""Bypass requests, their items, policies, decisions, uses, the hash-chained ledger and the
per-gate evaluation counters. Subjects are held as (``app_label.model``, pk, ref) so that no
table here has a foreign key into a process app."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ..choices import Kind, Ratification, ReasonCategory, RiskClass, State, Treatment, Verdict


class BypassPolicy(models.Model):
    """Who approves a bypass of a gate at a risk class. Versioned: an edit is a new version,
    the old one is deactivated, and a submitted request keeps the version it was frozen with.
    ``gate_id`` / ``risk_class`` may be ``*`` (any)."""

    gate_id = models.CharField(max_length=100)
    risk_class = models.CharField(max_length=10)
    version = models.PositiveIntegerField(default=1)
    rule = models.JSONField(help_text="all / any / n_of over approver groups (see approvals.py)")
    fallback_group = models.CharField(
        max_length=150,
        blank=True,
        help_text="Approves when separation of duties leaves too few; empty: refuse.",
    )
    max_duration_hours = models.PositiveIntegerField(default=72)
    max_uses = models.PositiveIntegerField(default=1)
    remind_after_hours = models.PositiveIntegerField(default=4)
    escalate_after_hours = models.PositiveIntegerField(default=24)
    lapse_after_hours = models.PositiveIntegerField(default=72)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["gate_id", "risk_class", "-version"]
        verbose_name_plural = "bypass policies"
        constraints = [
            models.UniqueConstraint(
                fields=["gate_id", "risk_class", "version"], name="bypass_policy_version_unique"
            ),
            models.UniqueConstraint(
                fields=["gate_id", "risk_class"],
                condition=Q(is_active=True),
                name="bypass_policy_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} / {self.risk_class} v{self.version}"


class BypassRequest(models.Model):
    state = models.CharField(max_length=24, choices=State.choices, default=State.DRAFT)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PLANNED)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bypasses_requested"
    )
    beneficiary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bypasses_benefiting"
    )
    subject_type = models.CharField(max_length=60)
    subject_id = models.PositiveBigIntegerField()
    subject_ref = models.CharField(max_length=40)
    service_id = models.PositiveBigIntegerField(null=True, blank=True)
    team_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason_category = models.CharField(max_length=30, choices=ReasonCategory.choices)
    justification = models.TextField()
    what_does_not_fit = models.TextField()
    cost_of_not_bypassing = models.TextField(blank=True)
    compensating_controls = models.TextField(blank=True)
    refusal = models.TextField(blank=True, help_text="What the gate said when it blocked.")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    max_uses = models.PositiveIntegerField(default=1)
    uses_count = models.PositiveIntegerField(default=0)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_class = models.CharField(max_length=10, choices=RiskClass.choices, blank=True)
    risk_inputs = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, blank=True, help_text="Parties at submission.")
    policy = models.ForeignKey(
        BypassPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    plan = models.JSONField(default=dict, blank=True, help_text="Frozen at submission.")
    scope_hash = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_event_seq = models.PositiveBigIntegerField(null=True, blank=True)
    # Break-glass: the open P1/P2 or major incident it was declared under, the verdict and
    # its deadline. A planned request may follow a break-glass one (needing longer).
    incident_id = models.PositiveBigIntegerField(null=True, blank=True)
    incident_ref = models.CharField(max_length=40, blank=True)
    ratification = models.CharField(
        max_length=12, choices=Ratification.choices, blank=True, default=""
    )
    ratification_due_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    follows = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followed_by"
    )
    standard = models.ForeignKey(
        "bypass.StandardBypass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        help_text="The standard bypass that pre-approved it.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "state"], name="byp_subject_idx"),
            models.Index(fields=["state", "valid_from"], name="byp_state_from_idx"),
            models.Index(fields=["state", "valid_until"], name="byp_state_until_idx"),
            models.Index(fields=["requester", "-id"], name="byp_requester_idx"),
            models.Index(fields=["state", "-id"], name="byp_state_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="byp_valid_window"
            ),
            models.CheckConstraint(condition=Q(max_uses__gte=1), name="byp_max_uses_positive"),
            models.CheckConstraint(
                condition=Q(uses_count__lte=F("max_uses")), name="byp_uses_within_max"
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"BYP-{self.pk:06d}" if self.pk else "BYP-(new)"


class BypassItem(models.Model):
    """One gate of the subject and what to do about it."""

    request = models.ForeignKey(BypassRequest, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    gate_id = models.CharField(max_length=100)
    treatment = models.CharField(max_length=20, choices=Treatment.choices)
    value = models.JSONField(
        null=True, blank=True, help_text="Override value, substitute, or the added step."
    )
    deadline = models.DateTimeField(null=True, blank=True, help_text="For a deferral.")

    class Meta:
        ordering = ["request", "position"]
        indexes = [models.Index(fields=["gate_id", "request"], name="byp_item_gate_idx")]
        constraints = [
            models.UniqueConstraint(fields=["request", "gate_id"], name="byp_item_gate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id}: {self.treatment}"


class BypassDecision(models.Model):
    """An approver's decision (append-only). Counts only for the scope hash it was made on."""

    request = models.ForeignKey(BypassRequest, on_delete=models.PROTECT, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    approver_name = models.CharField(max_length=150)
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    scope_hash = models.CharField(max_length=64)
    ledger_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["request", "id"]
        indexes = [models.Index(fields=["approver", "-id"], name="byp_decision_approver_idx")]

    def __str__(self) -> str:
        return f"{self.approver_name}: {self.verdict}"


class BypassUse(models.Model):
    """A consumption of a bypass at a gate (append-only), with what the gate said."""

    request = models.ForeignKey(BypassRequest, on_delete=models.PROTECT, related_name="uses")
    item = models.ForeignKey(BypassItem, on_delete=models.PROTECT, related_name="uses")
    gate_id = models.CharField(max_length=100)
    verdict = models.TextField(help_text="What the gate would have said.")
    computed = models.JSONField(null=True, blank=True)
    effective = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    ledger_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return f"{self.gate_id} used"


class BypassObligation(models.Model):
    """What a deferral (the step, by its deadline) or an added one-time step leaves to do on
    the subject once the bypass is used. Until done it blocks closing or resolving the subject
    (gate ``bypass.obligations.open``, never bypassable)."""

    request = models.ForeignKey(BypassRequest, on_delete=models.PROTECT, related_name="obligations")
    item = models.OneToOneField(BypassItem, on_delete=models.PROTECT, related_name="obligation")
    kind = models.CharField(max_length=20, choices=Treatment.choices)
    gate_id = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=60)
    subject_id = models.PositiveBigIntegerField()
    subject_ref = models.CharField(max_length=30)
    text = models.CharField(max_length=500)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="byp_oblig_subject_idx"),
            models.Index(fields=["done_at", "due_at"], name="byp_oblig_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_ref}: {self.text}"


class BypassEvent(models.Model):
    """The ledger: every fact about bypasses, hash-chained. ``seq`` is gapless and assigned
    under a lock; ``body`` is the canonical JSON exactly as hashed; ``hash`` is SHA-256 over
    the previous hash and the body (see ledger.py). Append-only in the database."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    request = models.ForeignKey(
        BypassRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    type = models.CharField(max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    body = models.TextField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["request", "seq"], name="byp_event_request_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"


class GateCounter(models.Model):
    """Evaluations of a gate per day: the denominators of the bypass metrics. Folded in from
    fast counters by a sweep (see counters.py)."""

    gate_id = models.CharField(max_length=100)
    day = models.DateField()
    evaluations = models.PositiveBigIntegerField(default=0)
    blocked = models.PositiveBigIntegerField(default=0)
    bypassed = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "gate_id"]
        constraints = [
            models.UniqueConstraint(fields=["gate_id", "day"], name="byp_counter_gate_day"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.day}: {self.evaluations}"
