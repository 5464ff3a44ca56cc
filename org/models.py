"""The organisation the processes run in: people, departments, teams, services, calendars."""

import zoneinfo
from datetime import datetime, time
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from knox.models import AbstractAuthToken

from servicedesk.models import ClockedUpdatedAt

from .choices import Role, SeniorityBand, ServiceTier, TokenScope, Weekday


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}.")


class Department(models.Model):
    """An organisational unit people belong to (used for SoD and metrics, snapshotted later)."""

    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=40, unique=True)
    head = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person. Everyone signed in is a requester; other roles are derived in ``org.roles``."""

    display_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField("email address", blank=True, db_index=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    job_title = models.CharField(max_length=120, blank=True)
    seniority_band = models.CharField(
        max_length=20, choices=SeniorityBand.choices, default=SeniorityBand.STAFF
    )
    is_vip = models.BooleanField("VIP", default=False)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_away = models.BooleanField(
        "away",
        default=False,
        help_text="Away (leave, sick, off shift): routing rules assign nothing new to them.",
    )
    away_until = models.DateTimeField(
        null=True, blank=True, help_text="Back at this time (empty: until marked present)."
    )
    updated_at = ClockedUpdatedAt()

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        ordering = ["display_name", "username"]
        indexes = [models.Index(fields=["updated_at", "id"], name="org_user_changes_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(manager=F("pk")), name="org_user_not_own_manager"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def is_present(self, now: datetime) -> bool:
        """Not marked away, or back already (``away_until`` has passed)."""
        return not self.is_away or (self.away_until is not None and self.away_until <= now)

    @cached_property
    def roles(self) -> frozenset[Role]:
        from .roles import roles_for

        return roles_for(self)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @cached_property
    def team_ids(self) -> frozenset[int]:
        """Teams this person is a member of (analyst)."""
        return frozenset(self.memberships.values_list("team_id", flat=True))

    @cached_property
    def led_team_ids(self) -> frozenset[int]:
        """Teams this person leads (manager)."""
        return frozenset(self.teams_led.values_list("id", flat=True))


class ApiToken(AbstractAuthToken):
    """A personal API token (knox: only a SHA-512 digest is stored), named by its owner."""

    name: "models.CharField[str, str]" = models.CharField(max_length=80)
    scope: "models.CharField[str, str]" = models.CharField(
        max_length=12, choices=TokenScope.choices, default=TokenScope.READ_WRITE
    )
    last_used_at: "models.DateTimeField[datetime | None, datetime | None]" = models.DateTimeField(
        null=True, blank=True
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"


class Team(models.Model):
    """An assignment group. Members are analysts; the lead is a manager."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams_led"
    )
    members: "models.ManyToManyField[User, TeamMembership]" = models.ManyToManyField(
        User, through="TeamMembership", related_name="teams"
    )
    calendar = models.ForeignKey(
        "BusinessCalendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )
    is_active = models.BooleanField(default=True)

    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["updated_at", "id"], name="org_team_changes_idx")]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="org_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class BusinessService(models.Model):
    """A service the business consumes (e-mail, payroll, VPN), owned by a team."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    tier = models.PositiveSmallIntegerField(choices=ServiceTier.choices, default=ServiceTier.TIER_3)
    calendar = models.ForeignKey(
        "BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="Hours in which this service's SLA clocks run (default: the owner team's).",
    )
    is_active = models.BooleanField(default=True)

    updated_at = ClockedUpdatedAt()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["updated_at", "id"], name="org_service_changes_idx")]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """Working hours per weekday in a time zone, minus holidays."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_default = models.BooleanField(
        default=False,
        help_text="SLA clocks use it when neither the policy nor the service names a calendar "
        "(with none marked default, clocks run 24 x 7 in UTC).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="org_one_default_calendar"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_working_time(self, moment: datetime) -> bool:
        """Whether an aware datetime falls inside working hours (used by SLA clocks)."""
        local = moment.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        if self.holidays.filter(date=local.date()).exists():
            return False
        return (
            self.hours.filter(weekday=local.weekday(), start__lte=local.time())
            .filter(Q(end__gt=local.time()) | Q(end=time(0, 0)))
            .exists()
        )


class WorkingHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField(default=time(9, 0))
    end = models.TimeField(default=time(17, 0))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name_plural = "working hours"
        constraints = [
            # 00:00 as the end means the midnight that ends the day (a shift to midnight, 24h).
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) | Q(end=time(0, 0)),
                name="org_hours_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"], name="org_hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="org_holiday_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d})"
