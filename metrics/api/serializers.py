"""Output shapes of the metrics endpoints (documented in the schema; values only, no input)."""

from rest_framework import serializers


class RateSerializer(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="numerator ÷ denominator")
    too_few_cases = serializers.BooleanField(
        help_text="The denominator is below the minimum number of cases."
    )


class DistributionSerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    p50_hours = serializers.FloatField(allow_null=True, help_text="Median, in hours.")
    p90_hours = serializers.FloatField(allow_null=True, help_text="90th percentile, in hours.")
    too_few_cases = serializers.BooleanField()


class FiltersSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    tz = serializers.CharField()
    service_id = serializers.IntegerField(allow_null=True)
    team_id = serializers.IntegerField(allow_null=True)
    priority = serializers.IntegerField(allow_null=True)
    bucket = serializers.ChoiceField(choices=["week", "month"])


class _Head(serializers.Serializer):
    filters = FiltersSerializer()
    source = serializers.ChoiceField(choices=["live", "rollup"])
    as_of = serializers.DateTimeField(allow_null=True)
    min_cases = serializers.IntegerField()


class RestoreSerializer(serializers.Serializer):
    wall_clock = DistributionSerializer()
    business = DistributionSerializer()


class ImpactSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Affected users times hours.")
    cases = serializers.IntegerField()
    too_few_cases = serializers.BooleanField()


class CommentSerializer(serializers.Serializer):
    incident = serializers.CharField()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class SatisfactionSerializer(serializers.Serializer):
    ratings = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    too_few_cases = serializers.BooleanField()
    satisfied = RateSerializer()
    response_rate = RateSerializer()
    latest_comments = CommentSerializer(many=True)


class BacklogBucketSerializer(serializers.Serializer):
    age = serializers.CharField()
    open = serializers.IntegerField()


class BacklogSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    age = DistributionSerializer()
    by_age = BacklogBucketSerializer(many=True)


class RepeatSerializer(serializers.Serializer):
    service_id = serializers.IntegerField()
    service = serializers.CharField()
    incidents = serializers.IntegerField()
    repeats = RateSerializer()


class ProblemsSerializer(serializers.Serializer):
    workaround_published = serializers.IntegerField()
    fixed = serializers.IntegerField()
    workaround_then_fixed = serializers.IntegerField()
    workaround_reach = DistributionSerializer()


class OutcomeTrendSerializer(serializers.Serializer):
    bucket = serializers.DateField()
    resolved = serializers.IntegerField()
    p50_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)
    reopen_rate = RateSerializer()


class OutcomesSerializer(_Head):
    time_to_restore = RestoreSerializer()
    first_contact_resolution = RateSerializer()
    reopen_rate = RateSerializer()
    user_impact_hours = ImpactSerializer()
    satisfaction = SatisfactionSerializer()
    backlog = BacklogSerializer()
    repeat_incidents = RepeatSerializer(many=True)
    problems = ProblemsSerializer()
    trend = OutcomeTrendSerializer(many=True)


class FailuresSerializer(serializers.Serializer):
    failed = serializers.IntegerField()
    backed_out = serializers.IntegerField()
    caused_incident = serializers.IntegerField()
    not_restored = serializers.IntegerField()


class FrequencySerializer(serializers.Serializer):
    deployments = serializers.IntegerField()
    days = serializers.IntegerField()
    per_day = serializers.FloatField(allow_null=True)
    per_week = serializers.FloatField(allow_null=True)
    too_few_cases = serializers.BooleanField()


class AuthorityLatencySerializer(DistributionSerializer):
    authority_id = serializers.IntegerField()
    authority = serializers.CharField()


class TemplateOutcomeSerializer(serializers.Serializer):
    template_id = serializers.IntegerField()
    template = serializers.CharField()
    failure_rate = RateSerializer()
    threshold = serializers.FloatField()
    above_threshold = serializers.BooleanField()


class ChangeTrendSerializer(serializers.Serializer):
    bucket = serializers.DateField()
    implemented = serializers.IntegerField()
    change_failure_rate = RateSerializer()


class ChangesSerializer(_Head):
    not_applicable = serializers.ListField(child=serializers.CharField())
    change_failure_rate = RateSerializer()
    failures = FailuresSerializer()
    time_to_restore = DistributionSerializer()
    deployment_frequency = FrequencySerializer()
    lead_time = DistributionSerializer()
    standard_share = RateSerializer()
    emergency_share = RateSerializer()
    authorisation_latency = AuthorityLatencySerializer(many=True)
    templates = TemplateOutcomeSerializer(many=True)
    trend = ChangeTrendSerializer(many=True)
