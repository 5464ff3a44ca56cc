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
    ESCALATION = "escalation", "A ticket I look after escalates"
    BREAK_GLASS = "break_glass", "Someone breaks glass on a gate I approve or own"
    BYPASS_REVIEW = "bypass_review", "A bypass I used awaits my review, or its ratification is due"
    PROCESS_DEBT = "process_debt", "Process debt is raised on a gate I own"
    IMPROVEMENT = "improvement", "News of an improvement I suggested, voted for or own"
