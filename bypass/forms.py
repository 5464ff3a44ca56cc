"""Forms of the bypass pages (shape only; the services validate the rules). Limits come from
``limits``, shared with the API."""

from typing import Any

from django import forms

from . import gates, limits
from .choices import ReasonCategory, Treatment


def gate_choices() -> list[tuple[str, str]]:
    return [(g.id, f"{g.title} ({g.id})") for g in gates.all_gates() if g.bypassable]


class BypassRequestForm(forms.Form):
    subject_type = forms.CharField(widget=forms.HiddenInput, max_length=60)
    subject_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**53)
    gate = forms.ChoiceField(label="Process step (gate)", choices=())
    treatment = forms.ChoiceField(label="Treatment", choices=Treatment.choices)
    value = forms.CharField(
        label="New value, substitute or added step",
        required=False,
        max_length=500,
        help_text="For an override: the value (e.g. priority 1). For a substitute: what "
        "replaces the step. For an added step: what it is.",
    )
    deadline = forms.DateTimeField(
        label="Deferred until (UTC)",
        required=False,
        help_text="Only for a deferral: when the step must be done.",
    )
    reason_category = forms.ChoiceField(label="Reason", choices=ReasonCategory.choices)
    justification = forms.CharField(
        label="Justification",
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=limits.JUSTIFICATION_MIN,
        max_length=limits.TEXT_MAX,
    )
    what_does_not_fit = forms.CharField(
        label="What about the process does not fit this case?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.TEXT_MAX,
    )
    cost_of_not_bypassing = forms.CharField(
        label="Cost of not bypassing",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )
    compensating_controls = forms.CharField(
        label="Compensating controls (and their evidence)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )
    refusal = forms.CharField(
        label="What the gate said",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )
    valid_until = forms.DateTimeField(
        label="Valid until (UTC)", required=False, help_text="Default: 24 hours from now."
    )
    max_uses = forms.IntegerField(
        label="Uses allowed", min_value=1, max_value=limits.MAX_USES, initial=1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gate"].choices = gate_choices()  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        item: dict[str, Any] = {"gate": d["gate"], "treatment": d["treatment"]}
        if d.get("value"):
            item["value"] = d["value"]
        if d.get("deadline"):
            item["deadline"] = d["deadline"]
        out = {
            "subject_type": d["subject_type"],
            "subject_id": d["subject_id"],
            "items": [item],
            "max_uses": d["max_uses"],
        }
        for name in (
            "reason_category",
            "justification",
            "what_does_not_fit",
            "cost_of_not_bypassing",
            "compensating_controls",
            "refusal",
        ):
            out[name] = d.get(name) or ""
        if d.get("valid_until"):
            out["valid_until"] = d["valid_until"]
        return out


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="Comment (required to reject or ask for information)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )


class VerdictForm(forms.Form):
    """Ratify or repudiate a break-glass (same field as ``CommentForm``)."""

    comment = forms.CharField(
        label="Comment (required to repudiate)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer", widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.TEXT_MAX
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )
