from django.db import models


class Treatment(models.TextChoices):
    SKIP = "skip", "Skip the step this time"
    SUBSTITUTE = "substitute", "Substitute a named alternative"
    MITIGATE = "mitigate", "Mitigate with a compensating control (evidence required)"
    DEFER = "defer", "Defer the step to a deadline"
    OVERRIDE = "override", "Override a computed value"
    WAIVE_FIELD = "waive_field", "Waive a required field"
    ADD_STEP = "add_step", "Add a one-time step"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    AWAITING_REQUESTER = "awaiting_requester", "Awaiting requester"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    LAPSED = "lapsed", "Lapsed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACTIVE = "active", "Active"
    CONSUMED = "consumed", "Consumed"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    BREAK_GLASS = "break_glass", "Break-glass in effect"
    AWAITING_RATIFICATION = "awaiting_ratification", "Awaiting ratification"
    UNDER_REVIEW = "under_review", "Under review after use"
    CLOSED = "closed", "Closed"


PENDING_STATES = frozenset({State.SUBMITTED, State.IN_REVIEW, State.AWAITING_REQUESTER})
EDITABLE_STATES = frozenset({State.DRAFT, *PENDING_STATES})
ENDED_STATES = frozenset(
    {
        State.REJECTED,
        State.LAPSED,
        State.WITHDRAWN,
        State.CONSUMED,
        State.EXPIRED,
        State.REVOKED,
    }
)


class ReasonCategory(models.TextChoices):
    """Why the process does not fit. Deliberately nothing about who is asking."""

    NOVEL_SITUATION = "novel_situation", "The process does not anticipate this case"
    SERVICE_RESTORATION = "service_restoration", "Service restoration"
    SECURITY_RESPONSE = "security_response", "Security response"
    COMPENSATING_CONTROL = "compensating_control", "Compensating control in place"
    RULE_MISFIRE = "rule_misfire", "The rule misfired"
    EXTERNAL_CONSTRAINT = "external_constraint", "External constraint"
    BUSINESS_DEADLINE = "business_deadline", "Business deadline"


class RiskClass(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


HIGH_RISK = frozenset({RiskClass.HIGH, RiskClass.CRITICAL})


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REQUEST_INFO = "request_info", "Request information"
    RATIFY = "ratify", "Ratify"
    REPUDIATE = "repudiate", "Repudiate"


class Kind(models.TextChoices):
    PLANNED = "planned", "Planned"
    BREAK_GLASS = "break_glass", "Break-glass"


class Ratification(models.TextChoices):
    NONE = "", "Not decided"
    RATIFIED = "ratified", "Ratified"
    REPUDIATED = "repudiated", "Repudiated"


# States in which a break-glass grant still awaits its verdict (the inbox shows them).
RATIFICATION_STATES = frozenset({State.BREAK_GLASS, State.AWAITING_RATIFICATION})
# Ended states whose request, if it was used, must be reviewed before it closes.
REVIEWABLE_STATES = frozenset({State.CONSUMED, State.EXPIRED, State.REVOKED})


class Outcome(models.TextChoices):
    """How the work done under a bypass turned out (the review after use)."""

    WORKED = "worked", "It worked"
    DEGRADED = "degraded", "It worked, degraded"
    FAILED = "failed", "It failed"
    CAUSED_INCIDENT = "caused_incident", "It caused an incident"


BAD_OUTCOMES = frozenset({Outcome.DEGRADED, Outcome.FAILED, Outcome.CAUSED_INCIDENT})
