"""The subscribe form: shape only (the service validates and holds the rules)."""

from django import forms

from .choices import EVENT_TYPES
from .models import NAME_MAX, URL_MAX


class WebhookForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. chat bridge"}),
    )
    url = forms.URLField(
        label="URL",
        max_length=URL_MAX,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/hooks/servicedesk"}),
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(key, f"{key} — {text}") for key, text in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )
