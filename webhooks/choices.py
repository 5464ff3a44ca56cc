"""The events a webhook can subscribe to (the contract with integrators) and delivery states."""

from django.db import models

# Every incident and problem event the services write. Internal ones (``incident.noted``, an
# internal note) reach only subscriptions whose owner may read internal notes.
EVENT_TYPES: dict[str, str] = {
    "incident.created": "An incident was reported",
    "incident.edited": "Title or description changed",
    "incident.triaged": "Impact, urgency, category or service changed",
    "incident.assigned": "Assigned to a team and/or a person",
    "incident.started": "Work started",
    "incident.pended": "Put on hold",
    "incident.resumed": "Work resumed after a hold",
    "incident.resolved": "Resolved",
    "incident.closed": "Closed",
    "incident.reopened": "Reopened by the requester",
    "incident.cancelled": "Cancelled",
    "incident.commented": "A public reply",
    "incident.noted": "An internal note (staff only)",
    "incident.attachment_added": "A file was attached",
    "incident.watcher_added": "Someone started watching",
    "incident.rated": "The requester rated the resolution",
    "incident.problem_linked": "Linked to a problem",
    "incident.workaround_published": "A problem's workaround reached the incident",
    "problem.created": "A problem was logged",
    "problem.updated": "A problem's details changed",
    "problem.investigating": "Investigation started",
    "problem.known_error": "Marked as a known error",
    "problem.incidents_linked": "Incidents were linked",
    "problem.workaround_published": "A workaround was published",
    "problem.resolved": "Resolved",
    "problem.closed": "Closed",
}
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
