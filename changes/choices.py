"""Slug-valued choices of the change app."""

from django.db import models


class ChangeType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-authorised)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ASSESSED = "assessed", "Assessed (awaiting authorisation)"
    AUTHORISED = "authorised", "Authorised"
    REJECTED = "rejected", "Rejected"
    SCHEDULED = "scheduled", "Scheduled"
    IMPLEMENTING = "implementing", "Implementing"
    IMPLEMENTED = "implemented", "Implemented"
    REVIEWED = "reviewed", "Reviewed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (
    ChangeStatus.DRAFT,
    ChangeStatus.SUBMITTED,
    ChangeStatus.ASSESSED,
    ChangeStatus.AUTHORISED,
    ChangeStatus.SCHEDULED,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.IMPLEMENTED,
    ChangeStatus.REVIEWED,
)
# Cancellable: nothing has been done to production yet.
CANCELLABLE_STATUSES = (
    ChangeStatus.DRAFT,
    ChangeStatus.SUBMITTED,
    ChangeStatus.ASSESSED,
    ChangeStatus.AUTHORISED,
    ChangeStatus.SCHEDULED,
)
# Editing after submission voids the approvals and sends the change back to assessment.
REVISABLE_STATUSES = (ChangeStatus.ASSESSED, ChangeStatus.AUTHORISED, ChangeStatus.SCHEDULED)
# On the calendar and checked for conflicts: the window is booked.
BOOKED_STATUSES = (ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING)
FINAL_STATUSES = (ChangeStatus.CLOSED, ChangeStatus.CANCELLED, ChangeStatus.REJECTED)


class Outcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"


class RiskClass(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class Complexity(models.TextChoices):
    LOW = "low", "Low: routine, few steps"
    MEDIUM = "medium", "Medium: several teams or steps"
    HIGH = "high", "High: many components, hard to predict"


class Impact(models.IntegerChoices):
    """Impact on the business if the change fails."""

    CRITICAL = 1, "Critical: a tier-1 service down"
    HIGH = 2, "High: a service degraded for many"
    MEDIUM = 3, "Medium: some users affected"
    LOW = 4, "Low: hardly noticeable"


class Category(models.TextChoices):
    APPLICATION = "application", "Application"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    NETWORK = "network", "Network"
    DATABASE = "database", "Database"
    SECURITY = "security", "Security"
    ACCESS = "access", "Access & identity"
    OTHER = "other", "Other"


class DecisionRule(models.TextChoices):
    ANY = "any", "Any one member"
    ALL = "all", "All members"
    N_OF_M = "n_of_m", "n of m members"


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class TemplateStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (awaiting the process owner)"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class IncidentRelation(models.TextChoices):
    CAUSED_BY = "caused_by", "Caused by this change"
    RELATED = "related", "Related"
