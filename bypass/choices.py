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
