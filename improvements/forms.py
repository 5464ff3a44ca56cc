"""Forms of the register's pages (shape only; the services validate the rules). Limits come
from ``limits``, shared with the API."""

from typing import Any

from django import forms

from bypass import gates
from org.models import BusinessService, User

from . import limits
from .choices import Status, Topic


def gate_choices() -> list[tuple[str, str]]:
    return [("", "Not about one step")] + [
        (g.id, f"{g.title} ({g.process})") for g in gates.all_gates() if g.bypassable
    ]


class SuggestForm(forms.Form):
    title = forms.CharField(
        label="What should change?",
        max_length=limits.TITLE_MAX,
        help_text="One line, e.g. “The VPN form asks for the asset tag nobody knows”.",
    )
    description = forms.CharField(
        label="Tell us more",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=limits.TEXT_MAX,
        help_text="What happened, what got in the way, and what would be better.",
    )
    topic = forms.ChoiceField(
        label="It is about", choices=Topic.choices, initial=Topic.PROCESS, widget=forms.RadioSelect
    )
    service = forms.ModelChoiceField(
        label="Service",
        queryset=BusinessService.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="No particular service",
        help_text="Needed when it is about a service.",
    )
    gate_id = forms.ChoiceField(label="Process step", choices=(), required=False)
    evidence = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gate_id"].choices = gate_choices()  # type: ignore[attr-defined]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why is it declined?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.REASON_MAX,
        help_text=f"At least {limits.REASON_MIN} characters: the person who suggested it and "
        "those who voted for it will read this.",
    )


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label="New owner",
        queryset=User.objects.filter(is_active=True).order_by("display_name", "username"),
    )


class RegisterFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *Status.choices], required=False
    )
    service_id = forms.ChoiceField(label="Service", choices=(), required=False)
    gate_id = forms.ChoiceField(label="Process step", choices=(), required=False)
    owner_id = forms.ChoiceField(label="Owner", choices=(), required=False)
    mine = forms.BooleanField(
        label="Only mine", required=False, help_text="Suggested by me or owned by me."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_id"].choices = [("", "Any service")] + [  # type: ignore[attr-defined]
            (str(pk), name)
            for pk, name in BusinessService.objects.order_by("name").values_list("pk", "name")
        ]
        self.fields["gate_id"].choices = [("", "Any step"), *gate_choices()[1:]]  # type: ignore[attr-defined]
        owners = User.objects.filter(improvements_owned__isnull=False).distinct()
        self.fields["owner_id"].choices = [("", "Anyone")] + [  # type: ignore[attr-defined]
            (str(u.pk), u.name) for u in owners.order_by("display_name", "username")
        ]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        out: dict[str, Any] = {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}
        if out.pop("mine", False):
            out["mine"] = "true"
        if "status" in out:
            out["status"] = [out["status"]]
        return out
