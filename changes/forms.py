"""Browser forms for changes. They check the shape of the input only; the rules live in the
services and guards they feed. Limits come from the services, as the API's serializers do."""

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet

from incidents.forms import active_services, active_teams
from org.models import User

from .choices import (
    Category,
    ChangeStatus,
    ChangeType,
    Complexity,
    DecisionRule,
    Impact,
    IncidentRelation,
    Outcome,
    RiskClass,
    TemplateStatus,
)
from .models import ChangeAuthority, ChangeTemplate
from .services.lifecycle import CI_MAX, TEXT_MAX, TITLE_MAX

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


def people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("display_name", "username")


def active_templates() -> QuerySet[ChangeTemplate]:
    return ChangeTemplate.objects.filter(status=TemplateStatus.ACTIVE).order_by("title")


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ChangeForm(forms.Form):
    """A blank change (normal or emergency) or a standard one from a template."""

    template = forms.ModelChoiceField(
        queryset=active_templates(),
        required=False,
        empty_label="— none: describe the change below —",
        label="Standard change template",
        help_text="A change from an active template is pre-authorised and goes straight to "
        "scheduled.",
    )
    type = forms.ChoiceField(
        choices=[(ChangeType.NORMAL, "Normal"), (ChangeType.EMERGENCY, "Emergency")],
        initial=ChangeType.NORMAL,
        required=False,
        label="Type (without a template)",
    )
    title = forms.CharField(max_length=TITLE_MAX, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    category = forms.ChoiceField(choices=Category.choices, initial=Category.APPLICATION)
    services = forms.ModelMultipleChoiceField(
        queryset=active_services(), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    configuration_items = forms.CharField(
        max_length=CI_MAX, required=False, label="Configuration items"
    )
    owner_team = forms.ModelChoiceField(queryset=active_teams(), required=False)
    implementer = forms.ModelChoiceField(queryset=people(), required=False)
    planned_start = forms.DateTimeField(widget=DT, required=False)
    planned_end = forms.DateTimeField(
        widget=DT, required=False, help_text="From a template: defaults to its maximum duration."
    )
    implementation_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=TEXT_MAX
    )
    backout_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=TEXT_MAX
    )
    test_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=TEXT_MAX,
        label="Test plan and evidence",
    )
    impact_if_fails = forms.TypedChoiceField(
        choices=[("", "—"), *Impact.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Impact if it fails",
    )
    complexity = forms.ChoiceField(choices=[("", "—"), *Complexity.choices], required=False)
    tested = forms.ChoiceField(choices=YES_NO, required=False, label="Tested?")
    backout_tested = forms.ChoiceField(choices=YES_NO, required=False, label="Backout tested?")
    service_tier = forms.TypedChoiceField(
        choices=[("", "— from the services —"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["template"]
            del self.fields["type"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("template") and not (data.get("title") or "").strip():
            self.add_error("title", "Give the change a title, or choose a template.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["tested"] = _yes_no(data.get("tested") or "")
        data["backout_tested"] = _yes_no(data.get("backout_tested") or "")
        template = data.pop("template", None)
        change_type = data.pop("type", "") or ChangeType.NORMAL
        if template is not None:
            data["template"] = template
        else:
            data["type"] = change_type
        if not data.get("services"):
            data.pop("services", None)
        return data

    @staticmethod
    def initial_for(change: Any) -> dict[str, Any]:
        fields = [
            "title",
            "description",
            "category",
            "configuration_items",
            "owner_team",
            "implementer",
            "planned_start",
            "planned_end",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "impact_if_fails",
            "complexity",
            "service_tier",
        ]
        initial = {f: getattr(change, f) for f in fields}
        initial["services"] = list(change.services.all())
        for f in ("tested", "backout_tested"):
            value = getattr(change, f)
            initial[f] = "" if value is None else "yes" if value else "no"
        return initial


class DecisionForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
        help_text="Required to reject.",
    )


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    restored_at = forms.DateTimeField(
        widget=DT, required=False, help_text="After a failure: when service was restored."
    )


class ReviewForm(forms.Form):
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What happened"
    )
    lessons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Lessons learned"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class DocumentForm(forms.Form):
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    test_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Test evidence"
    )


class LinkIncidentsForm(forms.Form):
    incidents = forms.CharField(
        max_length=2000, help_text="References or numbers, e.g. INC-000123, 124"
    )
    relation = forms.ChoiceField(choices=IncidentRelation.choices)

    def clean_incidents(self) -> list[int]:
        from incidents.models import Incident

        ids = []
        for part in self.cleaned_data["incidents"].replace(",", " ").split():
            pk = Incident.id_from_ref(part) or (int(part) if part.isdigit() else None)
            if pk is None:
                raise forms.ValidationError(f"“{part}” is not an incident reference.")
            ids.append(pk)
        return ids


class ChangeFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(choices=[("", "Any status"), *ChangeStatus.choices], required=False)
    type = forms.ChoiceField(choices=[("", "Any type"), *ChangeType.choices], required=False)

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v}


class TemplateForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    procedure = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(choices=Category.choices)
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    test_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    services = forms.ModelMultipleChoiceField(queryset=active_services(), required=False)
    max_duration_minutes = forms.IntegerField(
        min_value=5, max_value=24 * 60, initial=60, label="Maximum duration (minutes)"
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["max_duration"] = timedelta(minutes=data.pop("max_duration_minutes"))
        return data


class AuthorityForm(forms.Form):
    name = forms.CharField(max_length=120)
    rule = forms.ChoiceField(choices=DecisionRule.choices)
    required = forms.IntegerField(min_value=1, max_value=100, initial=1, label="n (for n of m)")
    members = forms.ModelMultipleChoiceField(queryset=people(), required=False)
    is_emergency = forms.BooleanField(required=False, label="Emergency authority")


class MatrixCellForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    risk_class = forms.ChoiceField(choices=RiskClass.choices)
    first = forms.ModelChoiceField(
        queryset=ChangeAuthority.objects.filter(is_active=True), required=False, label="Authority"
    )
    then = forms.ModelChoiceField(
        queryset=ChangeAuthority.objects.filter(is_active=True),
        required=False,
        label="Then (optional)",
    )

    def chain(self) -> list[ChangeAuthority]:
        return [a for a in (self.cleaned_data["first"], self.cleaned_data["then"]) if a]


class FreezeForm(forms.Form):
    name = forms.CharField(max_length=120)
    starts_at = forms.DateTimeField(widget=DT)
    ends_at = forms.DateTimeField(widget=DT)
    reason = forms.CharField(max_length=2000)
    services = forms.ModelMultipleChoiceField(
        queryset=active_services(), required=False, help_text="None selected: every service."
    )
