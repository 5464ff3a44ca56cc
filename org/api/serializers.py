from rest_framework import serializers

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


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    department = DepartmentBriefSerializer(read_only=True, allow_null=True)
    manager = UserBriefSerializer(read_only=True, allow_null=True)

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
        fields = ["id", "slug", "name", "description", "email", "lead", "members"]


class BusinessServiceSerializer(serializers.ModelSerializer):
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = BusinessService
        fields = ["id", "slug", "name", "description", "tier", "owner_team"]
