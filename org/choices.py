from django.db import models


class SeniorityBand(models.TextChoices):
    STAFF = "staff", "Staff"
    MANAGER = "manager", "Manager"
    DIRECTOR = "director", "Director"
    EXECUTIVE = "executive", "Executive"


class ServiceTier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 (critical)"
    TIER_2 = 2, "Tier 2 (high)"
    TIER_3 = 3, "Tier 3 (medium)"
    TIER_4 = 4, "Tier 4 (low)"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Role(models.TextChoices):
    """Roles are derived (see ``org.roles``), never stored on the user row."""

    REQUESTER = "requester", "Requester"
    ANALYST = "analyst", "Analyst"
    MANAGER = "manager", "Manager"
    CHANGE_AUTHORITY = "change_authority", "Change authority member"
    PROCESS_OWNER = "process_owner", "Process owner"
    ADMIN = "admin", "Administrator"


# Django groups that grant a role directly (created by migration 0002).
ROLE_GROUPS = {
    Role.MANAGER: "Managers",
    Role.CHANGE_AUTHORITY: "Change authority",
    Role.PROCESS_OWNER: "Process owners",
}


class TokenScope(models.TextChoices):
    """What an API token may do: ``read`` is refused every unsafe method (403)."""

    READ = "read", "Read only"
    READ_WRITE = "read-write", "Read and write"
