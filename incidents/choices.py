from django.db import models


class IncidentStatus(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (
    IncidentStatus.NEW,
    IncidentStatus.ASSIGNED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.PENDING,
)


# open and not on hold: the SLA clock runs ("breaching soon" watches these)
RUNNING_STATUSES = (IncidentStatus.NEW, IncidentStatus.ASSIGNED, IncidentStatus.IN_PROGRESS)


FINAL_STATUSES = (IncidentStatus.CLOSED, IncidentStatus.CANCELLED)


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    API = "api", "API"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"
    CHAT = "chat", "Chat"


# How a caller reached the desk when an analyst logs a ticket for them.
ON_BEHALF_CHANNELS = (Channel.PHONE, Channel.WALK_IN, Channel.EMAIL, Channel.CHAT)


class AssignmentSource(models.TextChoices):
    """How an incident's current team or assignee was chosen."""

    NONE = "", "Not assigned"
    MANUAL = "manual", "By a person"
    SERVICE = "service", "The service's owner team"
    RULE = "rule", "By a routing rule (team)"
    ROUND_ROBIN = "round_robin", "By a routing rule (round robin)"
    LEAST_LOADED = "least_loaded", "By a routing rule (least loaded)"


ROUTED_SOURCES = (
    AssignmentSource.RULE,
    AssignmentSource.ROUND_ROBIN,
    AssignmentSource.LEAST_LOADED,
)


class Level(models.IntegerChoices):
    """Impact and urgency: 1 is the most severe."""

    CRITICAL = 1, "1 - Critical"
    HIGH = 2, "2 - High"
    MEDIUM = 3, "3 - Medium"
    LOW = 4, "4 - Low"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 - Critical"
    P2 = 2, "P2 - High"
    P3 = 3, "P3 - Moderate"
    P4 = 4, "P4 - Low"


class PendingReason(models.TextChoices):
    REQUESTER = "requester", "Waiting on requester"
    VENDOR = "vendor", "Waiting on vendor"
    CHANGE = "change", "Waiting on a change"
    OTHER = "other", "Waiting on something else"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround applied"
    NO_FAULT = "no_fault", "No fault found"
    DUPLICATE = "duplicate", "Duplicate"
    USER_ERROR = "user_error", "User guidance given"
    VENDOR_FIX = "vendor_fix", "Fixed by vendor"


class ProblemStatus(models.TextChoices):
    NEW = "new", "New"
    INVESTIGATING = "investigating", "Investigating"
    KNOWN_ERROR = "known_error", "Known error"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_PROBLEM_STATUSES = (
    ProblemStatus.NEW,
    ProblemStatus.INVESTIGATING,
    ProblemStatus.KNOWN_ERROR,
)


class EscalationClock(models.TextChoices):
    """What an escalation rule's levels measure."""

    RESPONSE = "response", "Share of the first-response target"
    RESOLUTION = "resolution", "Share of the resolution target"
    UPDATE = "update", "Business time since the last update"


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", "Notify the assignee"
    NOTIFY_TEAM_LEAD = "notify_team_lead", "Notify the team lead"
    NOTIFY_SERVICE_OWNER = "notify_service_owner", "Notify the service owner"
    REASSIGN = "reassign", "Reassign to the next-tier team"
    RAISE_PRIORITY = "raise_priority", "Raise the priority one step"
    FLAG_MAJOR = "flag_major", "Flag as a major incident"
