"""The browser forms of SLA policies and escalation rules. They only shape input (targets in
hours and minutes, levels one per line); ``incidents.services.sla_config`` validates, with the
same limits and messages as the API, and its errors are put back on the fields here."""

from datetime import timedelta
from typing import Any

from django import forms

from incidents.choices import Channel, EscalationAction, EscalationClock, Priority
from incidents.escalation import MAX_LEVELS
from incidents.models import Category, EscalationRule, SlaPolicy
from incidents.services import sla_config
from org.models import BusinessCalendar, BusinessService, Team

# the service's field names (as the API spells them) -> this module's form fields
SERVICE_FIELDS = {
    "response_target": "response_target",
    "resolution_target": "resolution_target",
    "calendar_id": "calendar",
    "service_ids": "services",
    "category_ids": "categories",
    "policy_id": "policy",
    "next_team_id": "next_team",
    "priorities": "priorities",
    "channels": "channels",
    "levels": "levels",
    "clock": "clock",
}

TARGET_HELP = (
    "Business time on the policy's calendar, as hours and minutes (e.g. 4:00 or 0:30), "
    "from 0:01 to 8760:00 (365 days)."
)


class BusinessDurationField(forms.Field):
    """``H:MM`` (or whole hours) of business time. Only the shape is checked here: the range
    is the service's (``sla_config.TARGET_MAX``)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "size": 8})

    def to_python(self, value: Any) -> timedelta | None:
        text = str(value or "").strip()
        if not text:
            return None
        hours, sep, minutes = text.partition(":")
        if (
            len(text) > 12
            or not hours.isdigit()
            or (sep and not (minutes.isdigit() and len(minutes) == 2))
        ):
            raise forms.ValidationError(
                "Enter hours and minutes as H:MM, e.g. 4:00 or 0:30.", code="invalid"
            )
        if int(minutes or 0) > 59:
            raise forms.ValidationError("Minutes go from 00 to 59.", code="invalid")
        if len(hours) > 6:
            raise forms.ValidationError(
                "A target is from one minute to 365 days of business time.", code="invalid"
            )
        return timedelta(hours=int(hours), minutes=int(minutes or 0))

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, timedelta):
            minutes = int(value.total_seconds()) // 60
            return f"{minutes // 60}:{minutes % 60:02d}"
        return value


def duration_text(value: timedelta) -> str:
    return BusinessDurationField().prepare_value(value)


def _put_errors(form: forms.Form, details: Any, message: str) -> None:
    """A ``ValidationFailed`` from the service onto the field it names (else the form)."""
    placed = False
    if isinstance(details, dict):
        for name, messages in details.items():
            field = SERVICE_FIELDS.get(name, name)
            if field in form.fields:
                for text in messages if isinstance(messages, list) else [messages]:
                    form.add_error(field, str(text))
                placed = True
    if not placed:
        form.add_error(None, message)


put_service_errors = _put_errors


class SlaPolicyForm(forms.Form):
    name = forms.CharField(max_length=sla_config.NAME_MAX)
    description = forms.CharField(
        required=False,
        max_length=sla_config.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    position = forms.IntegerField(
        min_value=0,
        max_value=sla_config.POSITION_MAX,
        initial=100,
        help_text="Policies are tried from the lowest position; the first that matches applies.",
    )
    response_target = BusinessDurationField(label="First response within", help_text=TARGET_HELP)
    resolution_target = BusinessDurationField(label="Resolution within", help_text=TARGET_HELP)
    calendar = forms.ModelChoiceField(
        label="Business calendar",
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label="The service's calendar, else the default",
    )
    priorities = forms.TypedMultipleChoiceField(
        label="Priority is one of",
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any priority.",
    )
    services = forms.ModelMultipleChoiceField(
        label="Service is one of",
        queryset=BusinessService.objects.none(),
        required=False,
        help_text="None chosen: any service.",
    )
    categories = forms.ModelMultipleChoiceField(
        label="Category is one of",
        queryset=Category.objects.none(),
        required=False,
        help_text="None chosen: any category.",
    )
    channels = forms.MultipleChoiceField(
        label="Channel is one of",
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any channel.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["services"].queryset = BusinessService.objects.order_by("name")
        fields["categories"].queryset = Category.objects.order_by("name")
        fields["calendar"].queryset = BusinessCalendar.objects.order_by("name")

    def policy_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        calendar = data.get("calendar")
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "position": data["position"],
            "is_active": bool(data.get("is_active")),
            "priorities": list(data.get("priorities") or []),
            "channels": list(data.get("channels") or []),
            "response_target": data["response_target"],
            "resolution_target": data["resolution_target"],
            "calendar_id": calendar.pk if calendar else None,
            "service_ids": [s.pk for s in data.get("services") or []],
            "category_ids": [c.pk for c in data.get("categories") or []],
        }


def policy_initial(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "position": policy.position,
        "is_active": policy.is_active,
        "priorities": policy.priorities,
        "channels": policy.channels,
        "response_target": policy.response_target,
        "resolution_target": policy.resolution_target,
        "calendar": policy.calendar_id,
        "services": [s.pk for s in policy.services.all()],
        "categories": [c.pk for c in policy.categories.all()],
    }


LEVELS_HELP = (
    f"One level per line, at most {MAX_LEVELS}, thresholds increasing: the threshold, a colon, "
    "then the actions separated by commas, e.g. “75: notify_team_lead” and "
    "“150: reassign, raise_priority”. The threshold is a percentage of the target, or minutes "
    "of business time for “since the last update”. Actions: "
    + "; ".join(f"{a.value} ({a.label.lower()})" for a in EscalationAction)
    + "."
)


def levels_text(levels: Any, clock: str) -> str:
    unit = "minutes" if clock == EscalationClock.UPDATE else "percent"
    lines = []
    for level in levels or []:
        if isinstance(level, dict):
            lines.append(f"{level.get(unit, '?')}: {', '.join(level.get('actions') or [])}")
    return "\n".join(lines)


class EscalationRuleForm(forms.Form):
    name = forms.CharField(max_length=sla_config.NAME_MAX)
    description = forms.CharField(
        required=False,
        max_length=sla_config.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    position = forms.IntegerField(
        min_value=0,
        max_value=sla_config.POSITION_MAX,
        initial=100,
        help_text="Rules are listed and applied from the lowest position.",
    )
    clock = forms.ChoiceField(
        label="Measure",
        choices=EscalationClock.choices,
        initial=EscalationClock.RESOLUTION,
        widget=forms.RadioSelect,
    )
    levels = forms.CharField(
        label="Levels",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=LEVELS_HELP,
    )
    priorities = forms.TypedMultipleChoiceField(
        label="Only for priorities",
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any priority.",
    )
    policy = forms.ModelChoiceField(
        label="Only under the SLA policy",
        queryset=SlaPolicy.objects.none(),
        required=False,
        empty_label="Any policy",
    )
    next_team = forms.ModelChoiceField(
        label="Next-tier team",
        queryset=Team.objects.none(),
        required=False,
        empty_label="None",
        help_text="Where the reassign action sends the incident.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["policy"].queryset = SlaPolicy.objects.order_by("position", "pk")
        fields["next_team"].queryset = Team.objects.filter(is_active=True).order_by("name")

    def clean_levels(self) -> list[dict[str, Any]]:
        """Lines into the service's level objects; the service checks their meaning."""
        clock = self.cleaned_data.get("clock")
        unit = "minutes" if clock == EscalationClock.UPDATE else "percent"
        levels: list[dict[str, Any]] = []
        for number, line in enumerate(
            (raw for raw in self.cleaned_data["levels"].splitlines() if raw.strip()), start=1
        ):
            threshold, sep, actions = line.partition(":")
            threshold = threshold.strip().rstrip("%").strip()
            if not sep or not threshold.isdigit():
                raise forms.ValidationError(
                    f"Level {number}: write the threshold, a colon, then the actions, "
                    "e.g. “75: notify_team_lead”.",
                    code="invalid",
                )
            levels.append(
                {
                    unit: int(threshold),
                    "actions": [a.strip() for a in actions.split(",") if a.strip()],
                }
            )
        return levels

    def rule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        policy, team = data.get("policy"), data.get("next_team")
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "position": data["position"],
            "is_active": bool(data.get("is_active")),
            "clock": data["clock"],
            "priorities": list(data.get("priorities") or []),
            "policy_id": policy.pk if policy else None,
            "next_team_id": team.pk if team else None,
            "levels": data["levels"],
        }


def rule_initial(rule: EscalationRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "description": rule.description,
        "position": rule.position,
        "is_active": rule.is_active,
        "clock": rule.clock,
        "priorities": rule.priorities,
        "policy": rule.policy_id,
        "next_team": rule.next_team_id,
        "levels": levels_text(rule.levels, rule.clock),
    }
