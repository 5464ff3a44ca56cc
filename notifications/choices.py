from django.db import models


class Kind(models.TextChoices):
    """What a notification is about. Each person chooses per kind whether it also comes by
    e-mail (in-app notifications always arrive)."""

    TICKET_LOGGED = "ticket_logged", "Receipt when a ticket is logged for me"
    TICKET_UPDATED = "ticket_updated", "Public updates on my tickets"
    WATCHED_UPDATED = "watched_updated", "Public updates on tickets I follow"
    ASSIGNED = "assigned", "A ticket is assigned to me"
    TEAM_QUEUE = "team_queue", "A ticket lands in my team's queue with no assignee"
    REQUESTER_REPLIED = "requester_replied", "The requester replies on a ticket assigned to me"
    BYPASS_APPROVAL = "bypass_approval", "A bypass request still awaits my decision"
