"""The browser form of a routing rule: the common conditions and actions as plain fields
(no JavaScript needed), and the full AND/OR conditions as JSON for anything more. The form
only shapes input; ``incidents.services.routing`` validates the rule."""

import json
from typing import Any

from django import forms

from incidents import routing
from incidents.choices import Channel, Level, Priority
from incidents.models import Category, RoutingRule
from org.models import BusinessService, Department, Team, User

SIMPLE_ID_FIELDS = {
    "service": "services",
    "category": "categories",
    "requester_department": "departments",
}
SIMPLE_LEVEL_FIELDS = ("priority", "impact", "urgency")


def _ids(values: Any) -> list[int]:
    return sorted(int(v.pk if hasattr(v, "pk") else v) for v in values)


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=routing.RULE_NAME_MAX)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    position = forms.IntegerField(
        required=False, min_value=0, max_value=10**6, help_text="Lower runs first."
    )
    match = forms.ChoiceField(
        label="Match",
        choices=[("all", "All of these conditions"), ("any", "Any of these conditions")],
        initial="all",
        widget=forms.RadioSelect,
    )
    text_contains = forms.CharField(
        label="Title or description contains",
        required=False,
        max_length=routing.TEXT_VALUE_MAX,
    )
    text_matches = forms.CharField(
        label="Title or description matches the pattern",
        required=False,
        max_length=routing.PATTERN_MAX,
        help_text=r"A regular expression, case-insensitive, e.g. \bvpn\b.",
    )
    services = forms.ModelMultipleChoiceField(
        label="Service is one of", queryset=BusinessService.objects.none(), required=False
    )
    categories = forms.ModelMultipleChoiceField(
        label="Category is one of", queryset=Category.objects.none(), required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label="Requester's department is one of",
        queryset=Department.objects.none(),
        required=False,
    )
    priority = forms.TypedMultipleChoiceField(
        label="Priority is one of",
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    impact = forms.TypedMultipleChoiceField(
        label="Impact is one of",
        choices=Level.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    urgency = forms.TypedMultipleChoiceField(
        label="Urgency is one of",
        choices=Level.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.MultipleChoiceField(
        label="Channel is one of",
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    business_hours = forms.ChoiceField(
        label="Logged",
        choices=[
            ("", "At any time"),
            ("inside", "Inside business hours"),
            ("outside", "Outside business hours"),
        ],
        required=False,
        help_text="Business hours of the incident's service (or its owner team).",
    )
    conditions_json = forms.CharField(
        label="Advanced conditions (JSON)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text='Optional; replaces the conditions above. AND/OR groups: {"all": [...]} or '
        '{"any": [...]} of conditions such as {"field": "title", "op": "contains", '
        '"value": "vpn"}.',
    )
    set_team = forms.ModelChoiceField(
        label="Then route to team", queryset=Team.objects.none(), required=False
    )
    assign = forms.ChoiceField(
        label="And assign a person",
        choices=[
            ("", "No: leave it in the team's queue"),
            ("round_robin", "Round robin among members present"),
            ("least_loaded", "The member present with the fewest open incidents"),
        ],
        required=False,
    )
    set_category = forms.ModelChoiceField(
        label="Set category (when it has none)", queryset=Category.objects.none(), required=False
    )
    add_watcher = forms.ModelChoiceField(
        label="Add a watcher", queryset=User.objects.none(), required=False
    )
    notify_team = forms.ModelChoiceField(
        label="Notify a team", queryset=Team.objects.none(), required=False
    )
    stop_on_match = forms.BooleanField(
        label="Stop at this rule when it matches", required=False, initial=True
    )
    is_enabled = forms.BooleanField(label="Enabled", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["services"].queryset = BusinessService.objects.filter(is_active=True)
        fields["categories"].queryset = Category.objects.filter(is_active=True)
        fields["departments"].queryset = Department.objects.all()
        fields["set_team"].queryset = Team.objects.filter(is_active=True)
        fields["notify_team"].queryset = Team.objects.filter(is_active=True)
        fields["set_category"].queryset = Category.objects.filter(is_active=True)
        fields["add_watcher"].queryset = User.objects.filter(is_active=True)

    # --- form -> rule ----------------------------------------------------------------------
    def conditions(self) -> Any:
        data = self.cleaned_data
        raw = (data.get("conditions_json") or "").strip()
        if raw:
            try:
                return json.loads(raw)
            except ValueError as exc:
                raise forms.ValidationError(
                    f"Advanced conditions are not valid JSON: {exc}."
                ) from exc
        leaves: list[dict[str, Any]] = []
        if data.get("text_contains"):
            leaves.append({"field": "text", "op": "contains", "value": data["text_contains"]})
        if data.get("text_matches"):
            leaves.append({"field": "text", "op": "matches", "value": data["text_matches"]})
        for name, form_field in SIMPLE_ID_FIELDS.items():
            if data.get(form_field):
                leaves.append({"field": name, "op": "in", "value": _ids(data[form_field])})
        for name in SIMPLE_LEVEL_FIELDS:
            if data.get(name):
                leaves.append({"field": name, "op": "in", "value": sorted(data[name])})
        if data.get("channel"):
            leaves.append({"field": "channel", "op": "in", "value": list(data["channel"])})
        if data.get("business_hours"):
            leaves.append(
                {"field": "business_hours", "op": "is", "value": data["business_hours"] == "inside"}
            )
        return {data.get("match") or "all": leaves}

    def actions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        out: list[dict[str, Any]] = []
        if data.get("set_team"):
            out.append({"type": "set_team", "team_id": data["set_team"].pk})
        if data.get("assign"):
            out.append({"type": "assign", "strategy": data["assign"]})
        if data.get("set_category"):
            out.append({"type": "set_category", "category_id": data["set_category"].pk})
        if data.get("add_watcher"):
            out.append({"type": "add_watcher", "user_id": data["add_watcher"].pk})
        if data.get("notify_team"):
            out.append({"type": "notify", "team_id": data["notify_team"].pk})
        return out

    def rule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "description": data.get("description") or "",
            "conditions": self.conditions(),
            "actions": self.actions(),
            "stop_on_match": bool(data.get("stop_on_match")),
            "is_enabled": bool(data.get("is_enabled")),
        }
        if data.get("position") is not None:
            fields["position"] = data["position"]
        return fields


def initial_for(rule: RoutingRule) -> dict[str, Any]:
    """The form's fields for a saved rule: the simple fields when its conditions are a flat
    group of what they can show, otherwise the JSON box; actions the form cannot show are
    kept by leaving the rule's JSON in place (see the page)."""
    initial: dict[str, Any] = {
        "name": rule.name,
        "description": rule.description,
        "position": rule.position,
        "stop_on_match": rule.stop_on_match,
        "is_enabled": rule.is_enabled,
    }
    conditions = rule.conditions or {"all": []}
    kind, items = next(iter(conditions.items()))
    simple: dict[str, Any] = {"match": kind}
    representable = True
    for leaf in items:
        name, op = leaf.get("field"), leaf.get("op")
        key = {
            ("text", "contains"): "text_contains",
            ("text", "matches"): "text_matches",
        }.get((name, op))
        if key and key not in simple:
            simple[key] = leaf["value"]
        elif name in SIMPLE_ID_FIELDS and op == "in":
            simple[SIMPLE_ID_FIELDS[name]] = leaf["value"]
        elif (name in SIMPLE_LEVEL_FIELDS or name == "channel") and op == "in":
            simple[name] = leaf["value"]
        elif name == "business_hours" and not leaf.get("calendar_id"):
            simple["business_hours"] = "inside" if leaf["value"] else "outside"
        else:
            representable = False
    if representable:
        initial.update(simple)
    else:
        initial["conditions_json"] = json.dumps(conditions, indent=2)
    for action in rule.actions or []:
        kind = action.get("type")
        if kind == "set_team":
            initial["set_team"] = action["team_id"]
        elif kind == "assign":
            initial["assign"] = action["strategy"]
            if action.get("team_id") and "set_team" not in initial:
                initial["set_team"] = action["team_id"]
        elif kind == "set_category":
            initial["set_category"] = action["category_id"]
        elif kind == "add_watcher":
            initial["add_watcher"] = action["user_id"]
        elif kind == "notify" and action.get("team_id"):
            initial["notify_team"] = action["team_id"]
    return initial
