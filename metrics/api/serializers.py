"""Output shapes of the metrics endpoints (documented in the schema; values only, no input)."""

from rest_framework import serializers


class MetricsRateSerializer(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="numerator ÷ denominator")
    too_few_cases = serializers.BooleanField(
        help_text="The denominator is below the minimum number of cases."
    )


class MetricsDistributionSerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    p50_hours = serializers.FloatField(allow_null=True, help_text="Median, in hours.")
    p90_hours = serializers.FloatField(allow_null=True, help_text="90th percentile, in hours.")
    too_few_cases = serializers.BooleanField()


class MetricsFiltersSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    tz = serializers.CharField()
    service_id = serializers.IntegerField(allow_null=True)
    team_id = serializers.IntegerField(allow_null=True)
    priority = serializers.IntegerField(allow_null=True)
    bucket = serializers.ChoiceField(choices=["week", "month"])


class MetricsHead(serializers.Serializer):
    filters = MetricsFiltersSerializer()
    source = serializers.ChoiceField(choices=["live", "rollup"])  # type: ignore[assignment]
    as_of = serializers.DateTimeField(allow_null=True)
    min_cases = serializers.IntegerField()


class MetricsRestoreSerializer(serializers.Serializer):
    wall_clock = MetricsDistributionSerializer()
    business = MetricsDistributionSerializer()


class MetricsImpactSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Affected users times hours.")
    cases = serializers.IntegerField()
    too_few_cases = serializers.BooleanField()


class MetricsWaitingCauseSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(choices=["requester", "vendor", "change", "other", "it"])
    hours = serializers.FloatField(allow_null=True)
    share = serializers.FloatField(allow_null=True, help_text="Of the total time to restore.")


class MetricsWaitingSerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    total_hours = serializers.FloatField(allow_null=True)
    by_cause = MetricsWaitingCauseSerializer(many=True)


class MetricsCommentSerializer(serializers.Serializer):
    incident = serializers.CharField()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class MetricsSatisfactionSerializer(serializers.Serializer):
    ratings = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    too_few_cases = serializers.BooleanField()
    satisfied = MetricsRateSerializer()
    response_rate = MetricsRateSerializer()
    latest_comments = MetricsCommentSerializer(many=True)


class MetricsBacklogBucketSerializer(serializers.Serializer):
    age = serializers.CharField()
    open = serializers.IntegerField()


class MetricsBacklogSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    age = MetricsDistributionSerializer()
    by_age = MetricsBacklogBucketSerializer(many=True)


class MetricsRepeatSerializer(serializers.Serializer):
    service_id = serializers.IntegerField()
    service = serializers.CharField()
    incidents = serializers.IntegerField()
    repeats = MetricsRateSerializer()


class MetricsProblemsSerializer(serializers.Serializer):
    workaround_published = serializers.IntegerField()
    fixed = serializers.IntegerField()
    workaround_then_fixed = serializers.IntegerField()
    workaround_reach = MetricsDistributionSerializer()


class MetricsOutcomeTrendSerializer(serializers.Serializer):
    bucket = serializers.DateField()
    resolved = serializers.IntegerField()
    p50_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)
    reopen_rate = MetricsRateSerializer()


class MetricsOutcomesSerializer(MetricsHead):
    time_to_restore = MetricsRestoreSerializer()
    first_contact_resolution = MetricsRateSerializer()
    reopen_rate = MetricsRateSerializer()
    user_impact_hours = MetricsImpactSerializer()
    waiting = MetricsWaitingSerializer()
    satisfaction = MetricsSatisfactionSerializer()
    backlog = MetricsBacklogSerializer()
    repeat_incidents = MetricsRepeatSerializer(many=True)
    problems = MetricsProblemsSerializer()
    trend = MetricsOutcomeTrendSerializer(many=True)


class MetricsFailuresSerializer(serializers.Serializer):
    failed = serializers.IntegerField()
    backed_out = serializers.IntegerField()
    caused_incident = serializers.IntegerField()
    not_restored = serializers.IntegerField()


class MetricsFrequencySerializer(serializers.Serializer):
    deployments = serializers.IntegerField()
    days = serializers.IntegerField()
    per_day = serializers.FloatField(allow_null=True)
    per_week = serializers.FloatField(allow_null=True)
    too_few_cases = serializers.BooleanField()


class MetricsAuthorityLatencySerializer(MetricsDistributionSerializer):
    authority_id = serializers.IntegerField()
    authority = serializers.CharField()


class MetricsTemplateOutcomeSerializer(serializers.Serializer):
    template_id = serializers.IntegerField()
    template = serializers.CharField()
    failure_rate = MetricsRateSerializer()
    threshold = serializers.FloatField()
    above_threshold = serializers.BooleanField()


class MetricsChangeTrendSerializer(serializers.Serializer):
    bucket = serializers.DateField()
    implemented = serializers.IntegerField()
    change_failure_rate = MetricsRateSerializer()


class MetricsChangesSerializer(MetricsHead):
    not_applicable = serializers.ListField(child=serializers.CharField())
    change_failure_rate = MetricsRateSerializer()
    failures = MetricsFailuresSerializer()
    time_to_restore = MetricsDistributionSerializer()
    deployment_frequency = MetricsFrequencySerializer()
    lead_time = MetricsDistributionSerializer()
    standard_share = MetricsRateSerializer()
    emergency_share = MetricsRateSerializer()
    authorisation_latency = MetricsAuthorityLatencySerializer(many=True)
    templates = MetricsTemplateOutcomeSerializer(many=True)
    trend = MetricsChangeTrendSerializer(many=True)


class MetricsGateSerializer(serializers.Serializer):
    gate_id = serializers.CharField()
    evaluations = serializers.IntegerField()
    blocked = serializers.IntegerField()
    bypassed = serializers.IntegerField()
    per_evaluation = MetricsRateSerializer(help_text="Bypass uses ÷ evaluations of the gate.")
    per_block = MetricsRateSerializer(help_text="Bypass uses ÷ times the gate blocked.")


class MetricsFunnelSerializer(serializers.Serializer):
    requested = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    lapsed = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    pending = serializers.IntegerField()
    approval_rate = MetricsRateSerializer()


class MetricsReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    requests = MetricsRateSerializer()


class MetricsBreakGlassSerializer(serializers.Serializer):
    declared = serializers.IntegerField(help_text="Break-glass declared in the period.")
    ratified = serializers.IntegerField()
    repudiated = serializers.IntegerField()
    awaiting = serializers.IntegerField(help_text="Of those declared, still awaiting a verdict.")
    overdue = serializers.IntegerField(help_text="Awaiting past their ratification deadline.")
    ratified_share = MetricsRateSerializer()
    ratification_latency = MetricsDistributionSerializer()


class MetricsOpenDebtSerializer(serializers.Serializer):
    gate_id = serializers.CharField()
    open = serializers.IntegerField(help_text="Process-debt items open now.")
    requests = serializers.IntegerField(help_text="Bypass requests those items link.")


class MetricsWorkSideSerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    rate = MetricsRateSerializer(help_text="Reopened ÷ restorations, or failed ÷ implemented.")
    duration = MetricsDistributionSerializer(
        help_text="Wall-clock time to restore (incidents) or lead time (changes)."
    )


class MetricsWorkOutcomeSerializer(serializers.Serializer):
    gate_id = serializers.CharField()
    subject_type = serializers.ChoiceField(choices=["incidents.incident", "changes.change"])
    rate_name = serializers.ChoiceField(choices=["reopen_rate", "change_failure_rate"])
    duration_name = serializers.ChoiceField(choices=["time_to_restore", "lead_time"])
    bypassed = MetricsWorkSideSerializer(help_text="Work on which a bypass was used at the gate.")
    normal = MetricsWorkSideSerializer(help_text="The rest of the same kind of work.")


class MetricsExceptionsSerializer(serializers.Serializer):
    filters = MetricsFiltersSerializer()
    source = serializers.ChoiceField(choices=["live"])  # type: ignore[assignment]
    min_cases = serializers.IntegerField()
    not_applicable = serializers.ListField(child=serializers.CharField())
    gates = MetricsGateSerializer(many=True)
    funnel = MetricsFunnelSerializer()
    reasons = MetricsReasonSerializer(many=True)
    approval_latency = MetricsDistributionSerializer()
    break_glass = MetricsBreakGlassSerializer()
    process_debt = MetricsOpenDebtSerializer(many=True)
    work_outcomes = MetricsWorkOutcomeSerializer(many=True)


class MetricsAddedWaitSerializer(serializers.Serializer):
    answered = serializers.IntegerField(
        help_text="Jumped tickets answered after the jumper (the ones a wait is measured for)."
    )
    total_hours = serializers.FloatField()
    per_ticket_hours = serializers.FloatField(allow_null=True)


class MetricsFairnessGroupSerializer(serializers.Serializer):
    band = serializers.CharField()
    band_label = serializers.CharField()
    vip = serializers.BooleanField()
    tickets = serializers.IntegerField()
    resolution = MetricsDistributionSerializer()
    bypasses = serializers.IntegerField()
    bypasses_per_100 = serializers.FloatField(allow_null=True)
    overrides = serializers.IntegerField()
    overrides_per_100 = serializers.FloatField(allow_null=True)
    queue_jumps = serializers.IntegerField(
        help_text="Tickets moved ahead of the queue order (queue-order gate) in the period."
    )
    queue_jumps_per_100 = serializers.FloatField(allow_null=True)
    jumped_tickets = serializers.IntegerField(help_text="Tickets those jumps moved ahead of.")
    added_wait = MetricsAddedWaitSerializer()
    too_few_cases = serializers.BooleanField()


class MetricsRatioSerializer(serializers.Serializer):
    bypasses_per_100 = serializers.FloatField(allow_null=True)
    overrides_per_100 = serializers.FloatField(allow_null=True)
    queue_jumps_per_100 = serializers.FloatField(allow_null=True)


class MetricsFairnessSerializer(MetricsHead):
    groups = MetricsFairnessGroupSerializer(many=True)
    executive_to_staff = MetricsRatioSerializer()


class MetricsComplianceSerializer(serializers.Serializer):
    first_response = MetricsRateSerializer(
        help_text="First-response clocks met ÷ judged (settled in the period, with a target)."
    )
    resolution = MetricsRateSerializer(
        help_text="Resolution clocks met ÷ judged (resolved in the period, with a target)."
    )
    response_breaches = serializers.IntegerField()
    resolution_breaches = serializers.IntegerField()


class MetricsPriorityComplianceSerializer(MetricsComplianceSerializer):
    priority = serializers.IntegerField()


class MetricsTeamComplianceSerializer(MetricsComplianceSerializer):
    team_id = serializers.IntegerField(allow_null=True)
    team = serializers.CharField()
    priority = serializers.IntegerField()


class MetricsBasisSerializer(MetricsComplianceSerializer):
    basis = serializers.ChoiceField(choices=["matrix", "effective"])
    by_priority = MetricsPriorityComplianceSerializer(many=True)
    by_team_and_priority = MetricsTeamComplianceSerializer(many=True)


class MetricsBypassedSerializer(serializers.Serializer):
    resolved = serializers.IntegerField(help_text="Incidents resolved with a bypassed priority.")
    met_on_effective = serializers.IntegerField()
    met_on_matrix = serializers.IntegerField()
    not_judged_on_matrix = serializers.IntegerField()


class MetricsCauseHoursSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(choices=["requester", "vendor", "change", "other"])
    hours = serializers.FloatField(allow_null=True)


class MetricsPausedSerializer(serializers.Serializer):
    incidents_paused = MetricsRateSerializer()
    total_hours = serializers.FloatField(allow_null=True)
    per_paused_incident = MetricsDistributionSerializer()
    by_cause = MetricsCauseHoursSerializer(many=True)


class MetricsSlaTrendSerializer(serializers.Serializer):
    bucket = serializers.DateField()
    resolution = MetricsRateSerializer(help_text="On the matrix priority.")
    resolution_effective = MetricsRateSerializer()


class MetricsSlaSerializer(MetricsHead):
    published = serializers.ChoiceField(
        choices=["matrix"], help_text="The basis of the published figure."
    )
    matrix = MetricsBasisSerializer(help_text="Judged on the priority matrix's priority.")
    effective = MetricsBasisSerializer(help_text="Judged on the effective priority.")
    bypassed = MetricsBypassedSerializer()
    time_to_acknowledge = MetricsRestoreSerializer()
    paused = MetricsPausedSerializer()
    trend = MetricsSlaTrendSerializer(many=True)


class MetricsThresholdsSerializer(serializers.Serializer):
    sla_green_from = serializers.FloatField()
    satisfied_poor_below = serializers.FloatField()
    satisfied_good_from = serializers.FloatField()
    restore_poor_hours = serializers.FloatField()


class MetricsServiceSideBySideSerializer(serializers.Serializer):
    service_id = serializers.IntegerField()
    service = serializers.CharField()
    sla_compliance = MetricsRateSerializer(help_text="Resolution compliance, matrix priority.")
    time_to_restore = MetricsDistributionSerializer()
    satisfied = MetricsRateSerializer(help_text="Ratings of 4 or 5 ÷ ratings.")
    average_rating = serializers.FloatField(allow_null=True)
    marker = serializers.ChoiceField(
        choices=["sla_green_outcomes_poor", "sla_red_outcomes_good", "consistent", "too_few_cases"]
    )
    marker_label = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class MetricsSideBySideSerializer(MetricsHead):
    thresholds = MetricsThresholdsSerializer()
    services = MetricsServiceSideBySideSerializer(many=True)
