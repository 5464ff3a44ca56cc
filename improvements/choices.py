"""Slug-valued choices of the improvement register."""

from django.db import models


class Status(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"


OPEN_STATUSES = (Status.SUGGESTED, Status.ACCEPTED, Status.IN_PROGRESS)
FINAL_STATUSES = (Status.DONE, Status.DECLINED)


class Topic(models.TextChoices):
    PROCESS = "process", "A process"
    SERVICE = "service", "A service"


class Source(models.TextChoices):
    """Where a suggestion came from."""

    PERSON = "person", "Suggested by a person"
    BYPASS_REVIEW = "bypass_review", "A bypass review"
    PROCESS_DEBT = "process_debt", "Process debt"
    PROBLEM = "problem", "A problem's permanent fix"
    CHANGE_REVIEW = "change_review", "A failed change's review"


class EvidenceKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"
    BYPASS_REQUEST = "bypass_request", "Bypass request"
    BYPASS_REVIEW = "bypass_review", "Bypass review"
    PROCESS_DEBT = "process_debt", "Process debt"


class Dimension(models.TextChoices):
    """What repeated bypasses of a gate are grouped by."""

    SERVICE = "service", "the same service"
    TEAM = "team", "the same team"
    BENEFICIARY = "beneficiary", "the same beneficiary"


class DebtStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONVERTED = "converted", "Turned into an improvement"
