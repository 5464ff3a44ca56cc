from django import forms

from .choices import Kind


class EmailPreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label="Send me an e-mail for",
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everything also appears under the bell; untick what you do not want by e-mail.",
    )
