from typing import Any

from django.urls import reverse
from rest_framework import serializers

from org.choices import SeniorityBand, TokenScope
from org.models import ApiToken, BusinessCalendar, BusinessService, Department, Team, User
from org.services import TOKEN_DAYS_MAX, TOKEN_DAYS_MIN
from servicedesk.api import InputSerializer


class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class TeamBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]


class DepartmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


WITHHELD = "Null for requesters, who see only name and department."


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    department = DepartmentBriefSerializer(read_only=True, allow_null=True)
    email = serializers.EmailField(read_only=True, allow_null=True, help_text=WITHHELD)
    job_title = serializers.CharField(read_only=True, allow_null=True, help_text=WITHHELD)
    seniority_band = serializers.ChoiceField(
        choices=SeniorityBand.choices, read_only=True, allow_null=True, help_text=WITHHELD
    )
    is_vip = serializers.BooleanField(read_only=True, allow_null=True, help_text=WITHHELD)
    manager = UserBriefSerializer(read_only=True, allow_null=True, help_text=WITHHELD)
    time_zone = serializers.CharField(read_only=True, allow_null=True, help_text=WITHHELD)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "email",
            "department",
            "job_title",
            "seniority_band",
            "is_vip",
            "manager",
            "time_zone",
            "updated_at",
        ]


class ColleagueSerializer(UserSerializer):
    """The directory as a plain requester sees it: what it takes to pick a colleague (name,
    department), with every other field of ``UserSerializer`` withheld (null)."""

    SHOWN = frozenset({"id", "username", "name", "department", "updated_at"})

    def to_representation(self, instance: User) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in self._readable_fields:
            name = str(field.field_name)
            value = field.get_attribute(instance) if name in self.SHOWN else None
            data[name] = None if value is None else field.to_representation(value)
        return data


class MeSerializer(UserSerializer):
    roles = serializers.SerializerMethodField()
    teams = TeamBriefSerializer(many=True, read_only=True)

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "roles", "teams"]

    def get_roles(self, obj: User) -> list[str]:
        return sorted(str(role) for role in obj.roles)


class TeamSerializer(serializers.ModelSerializer):
    lead = UserBriefSerializer(read_only=True, allow_null=True)
    members = UserBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "description", "email", "lead", "members", "updated_at"]


class BusinessServiceSerializer(serializers.ModelSerializer):
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = BusinessService
        fields = ["id", "slug", "name", "description", "tier", "owner_team", "updated_at"]


class ApiTokenSerializer(serializers.ModelSerializer):
    id = serializers.CharField(
        source="token_key", read_only=True, help_text="The token's first characters: its id."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "url", "name", "scope", "created", "expiry", "last_used_at"]
        read_only_fields = fields

    def get_url(self, obj: ApiToken) -> str:
        url = reverse("api-token-detail", kwargs={"id": obj.token_key})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField(
        help_text="The secret: shown in this response only, never again. Send it as "
        "`Authorization: Token <token>`."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, obj: ApiToken) -> str:
        return str(self.context["plaintext"])


class ApiTokenCreateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=80, help_text="What will use it.")
    scope = serializers.ChoiceField(choices=TokenScope.choices, default=TokenScope.READ)
    expires_in_days = serializers.IntegerField(
        min_value=TOKEN_DAYS_MIN, max_value=TOKEN_DAYS_MAX, default=90
    )


# --- Business calendars ------------------------------------------------------------------------
class WorkingHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday.")
    start = serializers.TimeField()
    end = serializers.TimeField(help_text="00:00 means the midnight that ends the day.")


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)


class BusinessCalendarSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    hours = WorkingHoursSerializer(many=True, read_only=True)
    holidays = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "url", "name", "time_zone", "is_default", "hours", "holidays"]
        read_only_fields = fields

    def get_url(self, obj: BusinessCalendar) -> str:
        url = reverse("calendar-detail", kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class BusinessCalendarInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    time_zone = serializers.CharField(max_length=64, required=False)
    is_default = serializers.BooleanField(required=False)
    hours = serializers.ListField(child=WorkingHoursSerializer(), required=False, max_length=70)
    holidays = serializers.ListField(child=HolidaySerializer(), required=False, max_length=1000)


class BusinessCalendarUpdateInputSerializer(BusinessCalendarInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
