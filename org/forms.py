from django import forms

from .choices import TokenScope


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="What will use this token, e.g. “monitoring integration”.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. monitoring integration"}),
    )
    expires_in_days = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")],
        initial=90,
    )
    scope = forms.ChoiceField(
        label="May",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="A read-only token is refused every change (403).",
    )
