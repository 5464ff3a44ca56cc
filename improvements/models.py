"""The improvement register: suggestions to change a process or a service, their votes, the
evidence behind them and their history; process-debt items raised by repeated bypasses of the
same gate, and the policy (threshold and window) that raises them. Bypass requests, gates and
tickets are held by id and reference, so no table here has a foreign key into a process app
(the one to ``org.BusinessService`` is the organisation, not a process)."""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q

from servicedesk import clock

from .choices import DebtStatus, Dimension, EvidenceKind, Source, Status, Topic
from .limits import GATE_ID_MAX, TITLE_MAX

REF_PREFIX = "IMP-"
REF_RE = re.compile(r"^\s*IMP-?0*(\d{1,12})\s*$", re.IGNORECASE)


class Improvement(models.Model):
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField()
    topic = models.CharField(max_length=10, choices=Topic.choices, default=Topic.PROCESS)
    service = models.ForeignKey(
        "org.BusinessService",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="improvements",
    )
    gate_id = models.CharField(max_length=GATE_ID_MAX, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUGGESTED)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="improvements_suggested"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="improvements_owned",
        help_text="The person who owns it (empty: the owning group as a whole).",
    )
    owner_group = models.CharField(
        max_length=150, blank=True, help_text="The gate's or process's owner group."
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PERSON)
    source_key = models.CharField(
        max_length=100,
        blank=True,
        help_text="What fed it (bypass-review:42): a source feeds the register once.",
    )
    decline_reason = models.TextField(blank=True)
    votes_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="imp_status_idx"),
            models.Index(fields=["owner", "status"], name="imp_owner_idx"),
            models.Index(fields=["suggested_by", "-id"], name="imp_suggester_idx"),
            models.Index(fields=["service", "-id"], name="imp_service_idx"),
            models.Index(fields=["-votes_count", "-id"], name="imp_votes_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~Q(source_key=""), name="imp_source_once"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.DECLINED) | ~Q(decline_reason=""),
                name="imp_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk:06d}" if self.pk else f"{REF_PREFIX}(new)"

    @property
    def is_open(self) -> bool:
        return self.status in (Status.SUGGESTED, Status.ACCEPTED, Status.IN_PROGRESS)

    @staticmethod
    def id_from_ref(text: str) -> int | None:
        match = REF_RE.match(str(text or ""))
        return int(match.group(1)) if match else None


class ImprovementVote(models.Model):
    """One person's vote (a toggle: withdrawing it deletes the row; the history keeps both)."""

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="improvement_votes"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["improvement", "voter"], name="imp_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} → {self.improvement_id}"


class ImprovementEvidence(models.Model):
    """A link to what shows the need: a ticket, a bypass request or its review, a debt item."""

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    object_id = models.PositiveBigIntegerField()
    ref = models.CharField(max_length=40)
    url = models.CharField(max_length=300, blank=True, help_text="A path on this site.")
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["improvement", "id"]
        indexes = [models.Index(fields=["kind", "object_id"], name="imp_evidence_object_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["improvement", "kind", "object_id"], name="imp_evidence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} for {self.improvement_id}"


class ImprovementEvent(models.Model):
    """The history of an improvement (append-only in the database)."""

    improvement = models.ForeignKey(Improvement, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=60)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["improvement", "id"]
        indexes = [models.Index(fields=["improvement", "id"], name="imp_event_idx")]

    def __str__(self) -> str:
        return f"{self.type} on {self.improvement_id}"


class DebtPolicy(models.Model):
    """When repeated bypasses become process debt: ``threshold`` bypasses of one gate within
    ``window_days`` for the same service, team or beneficiary. ``gate_id`` may be ``*`` (any
    gate without a policy of its own for that dimension)."""

    gate_id = models.CharField(max_length=GATE_ID_MAX, default="*")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    threshold = models.PositiveSmallIntegerField(default=3)
    window_days = models.PositiveSmallIntegerField(default=90)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["gate_id", "dimension"]
        verbose_name_plural = "debt policies"
        constraints = [
            models.UniqueConstraint(fields=["gate_id", "dimension"], name="imp_debt_policy_once"),
            models.CheckConstraint(condition=Q(threshold__gte=2), name="imp_debt_threshold_2"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="imp_debt_window_1"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} / {self.dimension}: {self.threshold} in {self.window_days} days"


class ProcessDebt(models.Model):
    """Repeated bypasses of one gate for one service, team or beneficiary, raised once per
    pattern and window (``period_start``: the start of the window period it was raised in;
    the count looks back ``window_days`` from the sweep)."""

    gate_id = models.CharField(max_length=GATE_ID_MAX)
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    key_id = models.PositiveBigIntegerField(help_text="The service, team or beneficiary id.")
    key_label = models.CharField(max_length=150)
    period_start = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField()
    request_count = models.PositiveIntegerField()
    request_ids = models.JSONField(default=list)
    owner_group = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=10, choices=DebtStatus.choices, default=DebtStatus.OPEN)
    improvement = models.OneToOneField(
        Improvement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="debt",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "process debt"
        indexes = [
            models.Index(fields=["status", "-id"], name="imp_debt_status_idx"),
            models.Index(fields=["gate_id", "-id"], name="imp_debt_gate_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["gate_id", "dimension", "key_id", "period_start"],
                name="imp_debt_once_per_window",
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"DEBT-{self.pk:06d}" if self.pk else "DEBT-(new)"


class DebtSweepMark(models.Model):
    """How far the debt sweep has read the bypass ledger (one row): with nothing new since,
    a sweep costs two indexed lookups whatever the history holds."""

    name = models.CharField(max_length=30, unique=True, default="ledger")
    seq = models.PositiveBigIntegerField(default=0)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.seq}"
