"""Forms of the break-glass, review-after-use and standard-bypass pages (shape only; the
services validate the rules)."""

import re
from typing import Any

from django import forms

from . import gates, limits
from .choices import Outcome, ReasonCategory, Treatment
from .forms import gate_choices


class BreakGlassForm(forms.Form):
    subject_type = forms.CharField(widget=forms.HiddenInput, max_length=60)
    subject_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**53)
    gate = forms.CharField(widget=forms.HiddenInput, max_length=100)
    refusal = forms.CharField(widget=forms.HiddenInput, required=False, max_length=limits.TEXT_MAX)
    incident = forms.CharField(
        label="Open P1/P2 or major incident you are working on",
        max_length=20,
        help_text="Its reference, e.g. INC-000123.",
    )
    justification = forms.CharField(
        label="Why it cannot wait for approval",
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=limits.JUSTIFICATION_MIN,
        max_length=limits.TEXT_MAX,
    )
    password = forms.CharField(
        label="Your password (to confirm it is you)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=limits.PASSWORD_MAX,
    )

    def clean_incident(self) -> int:
        digits = re.sub(r"\D", "", self.cleaned_data["incident"])
        if not digits or len(digits) > 12:
            raise forms.ValidationError("Give the incident's reference, e.g. INC-000123.")
        return int(digits)


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did it turn out?", choices=Outcome.choices, widget=forms.RadioSelect
    )
    links = forms.CharField(
        label="Links (incidents, changes, documents), one per line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.TEXT_MAX,
    )
    misfit = forms.CharField(
        label="What about the process did not fit?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limits.TEXT_MAX,
    )
    proposal = forms.CharField(
        label="Your proposal to change the process (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.TEXT_MAX,
    )


class StandardBypassForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    gate_id = forms.ChoiceField(label="Gate", choices=())
    treatment = forms.ChoiceField(label="Treatment", choices=Treatment.choices)
    reason_category = forms.ChoiceField(label="Reason", choices=ReasonCategory.choices)
    service_tier = forms.IntegerField(label="Service tier", min_value=1, max_value=4)
    subject_type = forms.ChoiceField(label="Applies to", choices=())
    max_duration_hours = forms.IntegerField(
        label="Longest validity (hours)", min_value=1, max_value=168, initial=24
    )
    max_uses = forms.IntegerField(label="Uses allowed", min_value=1, max_value=5, initial=1)
    review_every_days = forms.IntegerField(
        label="Review every (days)", min_value=7, max_value=365, initial=90
    )
    degrade_percent = forms.IntegerField(
        label="Demote when bad outcomes reach (%)", min_value=1, max_value=100, initial=34
    )
    degrade_min_reviews = forms.IntegerField(
        label="…after at least this many reviews", min_value=1, max_value=50, initial=3
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gate_id"].choices = gate_choices()  # type: ignore[attr-defined]
        self.fields["subject_type"].choices = [  # type: ignore[attr-defined]
            (t, t) for t in gates.subject_types()
        ]


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.TEXT_MAX
    )
