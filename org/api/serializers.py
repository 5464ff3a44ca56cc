from typing import Any

from rest_framework import serializers

from org.choices import SeniorityBand
from org.models import BusinessService, Department, Team, User


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
        ]


class ColleagueSerializer(UserSerializer):
    """The directory as a plain requester sees it: what it takes to pick a colleague (name,
    department), with every other field of ``UserSerializer`` withheld (null)."""

    SHOWN = frozenset({"id", "username", "name", "department"})

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
    lead = UserBriefSerializer(read_only=True)
    members = UserBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "description", "email", "lead", "members"]


class BusinessServiceSerializer(serializers.ModelSerializer):
    owner_team = TeamBriefSerializer(read_only=True)

    class Meta:
        model = BusinessService
        fields = ["id", "slug", "name", "description", "tier", "owner_team"]
