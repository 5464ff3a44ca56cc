"""Browser forms for incidents and problems. They check the shape of the input only; the rules
(who may do what, in which state) live in the services and guards they feed."""

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from org.models import BusinessService, Team, User

from .choices import (
    ON_BEHALF_CHANNELS,
    OPEN_STATUSES,
    Channel,
    Level,
    PendingReason,
    Priority,
    ProblemStatus,
    ResolutionCode,
)
from .choosers import ChooserField
from .filekinds import allowed_in_words
from .limits import (
    AFFECTED_USERS_MAX,
    CHANGE_REF_MAX,
    DESCRIPTION_MAX,
    ID_MAX,
    OLDER_THAN_DAYS_MAX,
    RATING_COMMENT_MAX,
    REASON_MAX,
    REFS_INPUT_MAX,
    SEARCH_MAX,
    TEXT_MAX,
    TITLE_MAX,
)
from .models import Category, Incident, Problem
from .models.saved_views import SAVED_VIEW_NAME_MAX

# "How bad is it?" in the requester's words -> (impact, urgency) for the priority matrix.
SEVERITY = {
    "blocked": (3, 1),
    "slow": (3, 3),
    "minor": (4, 4),
}
SEVERITY_CHOICES = [
    ("blocked", "I can't work at all"),
    ("slow", "I can work, but slowly or with a workaround"),
    ("minor", "Minor annoyance"),
]
LINKABLE_PROBLEMS = (ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR)
PAGE_SIZES = (25, 50, 100)


def active_services() -> QuerySet[BusinessService]:
    return BusinessService.objects.filter(is_active=True).order_by("name")


def active_teams() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True).order_by("name")


def linkable_problems() -> QuerySet[Problem]:
    return Problem.objects.filter(status__in=LINKABLE_PROBLEMS).order_by("-created_at")


class IdListField(forms.Field):
    """Many ``name=<id>`` values (checked rows) as a list of ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError("Invalid selection.") from None


class PageSizeField(forms.ChoiceField):
    """Offers the usual sizes but accepts any: the view clamps the size to 1..100."""

    def clean(self, value: Any) -> int | None:
        try:
            return int(value) if value else None
        except (TypeError, ValueError):
            return None


# --- requester ----------------------------------------------------------------------------
class ReportForm(forms.Form):
    title = forms.CharField(
        label="In a few words, what is wrong?",
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Outlook will not open"}),
    )
    description = forms.CharField(
        label="What is broken?",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What happened, what you expected, any error message you saw.",
    )
    service = forms.ModelChoiceField(
        label="Which service?",
        queryset=BusinessService.objects.none(),
        required=False,
        empty_label="I don't know",
    )
    severity = forms.ChoiceField(
        label="How bad is it?",
        choices=SEVERITY_CHOICES,
        widget=forms.RadioSelect,
        initial="slow",
    )
    attachment = forms.FileField(
        label="Screenshot or file (optional)",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = active_services()  # type: ignore[attr-defined]
        self.fields[
            "attachment"
        ].help_text = f"You can attach {allowed_in_words(settings.ATTACHMENT_TYPES)}."

    def impact_urgency(self) -> tuple[int, int]:
        return SEVERITY[self.cleaned_data["severity"]]


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Message", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    visibility = forms.ChoiceField(
        choices=[("internal", "Internal note"), ("public", "Reply to requester")],
        widget=forms.RadioSelect,
        required=False,
        initial="internal",
    )

    @property
    def internal(self) -> bool:
        return self.cleaned_data.get("visibility") == "internal"


class AttachForm(forms.Form):
    file = forms.FileField(label="Add a file")
    internal = forms.BooleanField(label="Internal (analysts only)", required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class EmptyForm(forms.Form):
    pass


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How well was it fixed?",
        coerce=int,
        choices=[(5, "5 · Excellent"), (4, "4"), (3, "3"), (2, "2"), (1, "1 · Poor")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        max_length=RATING_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- analyst ------------------------------------------------------------------------------
class AssignForm(forms.Form):
    team = ChooserField(
        for_field="team",
        required=False,
        label="Team",
        help_text="Type a few letters of its name and choose it; leave empty to keep the team.",
    )
    assignee = ChooserField(
        for_field="assignee",
        required=False,
        label="Assignee",
        help_text=(
            "Type a name, username or e-mail address and choose the person; leave empty for "
            "nobody (the team picks it up)."
        ),
    )


NOTE_TO = {"": None, "internal": False, "requester": True}


class PendForm(forms.Form):
    reason = forms.ChoiceField(label="Waiting on", choices=PendingReason.choices)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note_to = forms.ChoiceField(
        label="Who reads the note",
        required=False,
        initial="",
        choices=[
            ("", "The requester if waiting on them, otherwise analysts only"),
            ("internal", "Analysts only (internal note)"),
            ("requester", "The requester too (they are e-mailed)"),
        ],
        help_text="Waiting on the requester? Write your question: it goes to them.",
    )

    @property
    def note_public(self) -> bool | None:
        return NOTE_TO.get(self.cleaned_data.get("note_to") or "")


class WatchForm(forms.Form):
    person = forms.CharField(
        label="Add a colleague",
        required=False,
        max_length=254,
        help_text="Name or e-mail address (empty: follow it yourself).",
        widget=forms.TextInput(attrs={"list": "people-options", "autocomplete": "off"}),
    )


class UnwatchForm(forms.Form):
    user_id = forms.IntegerField(required=False, min_value=1)


class ResolveForm(forms.Form):
    code = forms.ChoiceField(label="Resolution code", choices=ResolutionCode.choices)
    notes = forms.CharField(
        label="Resolution notes (the requester reads these)",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EditForm(forms.Form):
    """Correct what was logged (analysts): the title and the description."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, incident: Incident | None = None, **kwargs: Any) -> None:
        if incident is not None and not args and "data" not in kwargs:
            kwargs.setdefault(
                "initial", {"title": incident.title, "description": incident.description}
            )
        super().__init__(*args, **kwargs)


class TriageForm(forms.Form):
    impact = forms.TypedChoiceField(label="Impact", coerce=int, choices=Level.choices)
    urgency = forms.TypedChoiceField(label="Urgency", coerce=int, choices=Level.choices)
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, label="Category", empty_label="—"
    )
    service = forms.ModelChoiceField(
        queryset=BusinessService.objects.none(), required=False, label="Service", empty_label="—"
    )
    affected_users = forms.IntegerField(
        label="Users affected", min_value=1, max_value=AFFECTED_USERS_MAX
    )
    is_major = forms.BooleanField(label="Major incident", required=False)

    def __init__(self, *args: Any, incident: Incident | None = None, **kwargs: Any) -> None:
        if incident is not None and not args and "data" not in kwargs:
            kwargs.setdefault(
                "initial",
                {
                    "impact": incident.impact,
                    "urgency": incident.urgency,
                    "category": incident.category_id,
                    "service": incident.service_id,
                    "affected_users": incident.affected_users,
                    "is_major": incident.is_major,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["service"].queryset = active_services()  # type: ignore[attr-defined]


class LinkConfirmFields(forms.Form):
    """The second step of linking: what will happen was shown; these say what was agreed."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    send_workaround = forms.BooleanField(required=False, widget=forms.HiddenInput)


class LinkProblemForm(LinkConfirmFields):
    problem = ChooserField(
        for_field="problem",
        label="Problem",
        help_text="Type words of its title or its reference (PRB-000012) and choose it.",
    )


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=SEARCH_MAX)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any open"), *((s.value, s.label) for s in OPEN_STATUSES)],
    )
    priority = forms.TypedChoiceField(
        label="Priority", required=False, coerce=int, choices=[("", "Any"), *Priority.choices]
    )
    # Searched, not listed: a drop-down of every person would be rendered on every queue page.
    # Without JavaScript the text typed is taken as a team's name or a person's username or
    # e-mail address (see incidents.choosers).
    team_id = ChooserField(for_field="team", label="Team", required=False)
    assignee_id = ChooserField(for_field="assignee", label="Assignee", required=False)
    service_id = forms.ModelChoiceField(
        label="Service", queryset=BusinessService.objects.none(), required=False, empty_label="Any"
    )
    older_than_days = forms.IntegerField(
        label="Older than (days)", required=False, min_value=0, max_value=OLDER_THAN_DAYS_MAX
    )
    page_size = PageSizeField(
        label="Per page", required=False, choices=[(n, str(n)) for n in PAGE_SIZES]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_id"].queryset = active_services()  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The cleaned values in the shape ``IncidentFilterSet`` reads."""
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        if data.get("q"):
            filters["q"] = data["q"]
        if data.get("status"):
            filters["status"] = [data["status"]]
        if data.get("priority"):
            filters["priority"] = [str(data["priority"])]
        for name in ("team_id", "assignee_id", "service_id"):
            if data.get(name) is not None:
                filters[name] = [str(data[name].pk)]
        if data.get("older_than_days") is not None:
            filters["older_than_days"] = data["older_than_days"]
        return filters


class SavedViewForm(forms.Form):
    name = forms.CharField(label="Save this view as", max_length=SAVED_VIEW_NAME_MAX)
    tab = forms.CharField(widget=forms.HiddenInput, max_length=20)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class BulkForm(LinkConfirmFields):
    ids = IdListField(required=True, error_messages={"required": "Tick at least one incident."})
    action = forms.ChoiceField(choices=[("assign", "Assign"), ("link", "Link to problem")])
    # Search-as-you-type choosers (incidents.choosers), as on the ticket page.
    team = ChooserField(
        for_field="team",
        required=False,
        label="Team",
        help_text="Leave empty to keep each incident's team.",
    )
    assignee = ChooserField(
        for_field="assignee",
        required=False,
        label="Assignee",
        help_text="A name, username or e-mail address; leave empty for nobody.",
    )
    problem = ChooserField(
        for_field="problem",
        required=False,
        label="Problem",
        help_text="Words of its title or its reference (PRB-000012).",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "link" and data.get("problem") is None:
            self.add_error("problem", "Choose the problem to link to.")
        if data.get("action") == "assign" and not (data.get("team") or data.get("assignee")):
            self.add_error("assignee", "Choose a team, an assignee, or both.")
        return data


class MyTicketsFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=SEARCH_MAX)
    state = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "All"), ("open", "Open"), ("done", "Resolved or closed")],
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        if data.get("q"):
            filters["q"] = data["q"]
        if data.get("state") == "open":
            filters["open"] = "true"
        elif data.get("state") == "done":
            filters["open"] = "false"
        return filters


# --- problems -----------------------------------------------------------------------------
class ProblemFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=SEARCH_MAX)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *ProblemStatus.choices]
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        if data.get("q"):
            filters["q"] = data["q"]
        if data.get("status"):
            filters["status"] = [data["status"]]
        return filters


class ProblemCreateForm(forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    services = forms.ModelMultipleChoiceField(
        label="Affected services",
        queryset=BusinessService.objects.none(),
        required=False,
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    owner_team = ChooserField(
        for_field="team",
        label="Owner team",
        required=False,
        help_text="Type a few letters of its name and choose it; leave empty for none.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = active_services()  # type: ignore[attr-defined]


class ProblemUpdateForm(forms.Form):
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    root_cause = forms.CharField(
        label="Root cause",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    permanent_fix = forms.CharField(
        label="Permanent fix",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fix_change_ref = forms.CharField(
        label="Fixing change",
        required=False,
        max_length=CHANGE_REF_MAX,
        help_text="e.g. CHG-000042",
    )


class KnownErrorForm(forms.Form):
    root_cause = forms.CharField(
        label="Root cause",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to keep the recorded root cause.",
    )


class ProblemResolveForm(forms.Form):
    permanent_fix = forms.CharField(
        label="Permanent fix",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to keep the recorded fix.",
    )
    fix_change_ref = forms.CharField(
        label="Fixing change", required=False, max_length=CHANGE_REF_MAX
    )


class LinkIncidentsForm(LinkConfirmFields):
    refs = forms.CharField(
        label="Incidents",
        max_length=REFS_INPUT_MAX,
        widget=forms.TextInput(attrs={"placeholder": "INC-000012, INC-000013 or 12 13"}),
    )

    def clean_refs(self) -> list[int]:
        tokens = [t for t in self.cleaned_data["refs"].replace(",", " ").split() if t]
        ids: set[int] = set()
        bad = []
        for token in tokens:
            pk = Incident.id_from_ref(token if not token.isdigit() else f"INC-{token}")
            if pk is None or not 0 < pk <= ID_MAX:
                bad.append(token)
            else:
                ids.add(pk)
        if bad:
            shown = [t if len(t) <= 20 else f"{t[:12]}…" for t in bad[:5]]
            raise forms.ValidationError(f"Not an incident reference: {', '.join(shown)}.")
        if not ids:
            raise forms.ValidationError("Give at least one incident reference.")
        return sorted(ids)


class WorkaroundForm(forms.Form):
    workaround = forms.CharField(
        label="Workaround",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Linked open incidents receive it on their timeline and the requesters are told.",
    )


# --- the desk logs for callers ------------------------------------------------------------
class LogCallForm(forms.Form):
    """An analyst logs a ticket for a caller. The caller is found by name or e-mail: htmx
    lists matches as the analyst types; without JavaScript the "Find" button does the same."""

    caller_q = forms.CharField(
        label="Caller (name or e-mail)",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Ada or ada@"}),
    )
    requester = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.HiddenInput,  # the page lists only the matches, as radios
        error_messages={"invalid_choice": "That person cannot be chosen; search again."},
    )
    channel = forms.ChoiceField(
        label="How did they reach us?",
        choices=[(c.value, c.label) for c in ON_BEHALF_CHANNELS],
        widget=forms.RadioSelect,
        initial=Channel.PHONE,
    )
    title = forms.CharField(label="Title", max_length=200, required=False)
    description = forms.CharField(
        label="What the caller says",
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    service = forms.ModelChoiceField(
        label="Service", queryset=BusinessService.objects.none(), required=False, empty_label="—"
    )
    impact = forms.TypedChoiceField(
        label="Impact", coerce=int, choices=Level.choices, initial=Level.MEDIUM
    )
    urgency = forms.TypedChoiceField(
        label="Urgency", coerce=int, choices=Level.choices, initial=Level.MEDIUM
    )

    def __init__(self, *args: Any, finding: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.finding = finding
        self.fields["requester"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["service"].queryset = active_services()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.finding:
            return data
        if data.get("requester") is None and "requester" not in self.errors:
            self.add_error(
                "requester",
                "Choose the caller from the list (type a name or e-mail, then Find).",
            )
        if not (data.get("title") or "").strip():
            self.add_error("title", "Give the ticket a title.")
        return data


class MergeForm(forms.Form):
    into = forms.CharField(
        label="Keep this ticket",
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "INC-000123"}),
        help_text="This ticket is closed as its duplicate; its requester follows the kept one.",
    )
    note = forms.CharField(
        label="Note (optional, the requester reads it)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_into(self) -> int:
        value = self.cleaned_data["into"].strip()
        pk = int(value) if value.isdigit() else Incident.id_from_ref(value)
        if not pk:
            raise forms.ValidationError("Give a ticket reference such as INC-000123.")
        return pk


class UnlinkProblemForm(forms.Form):
    reason = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CannedReplyForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="Team")
    title = forms.CharField(label="Title", max_length=120)
    body = forms.CharField(
        label="Reply",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Placeholders: {requester_first_name}, {requester_name}, {reference}, "
        "{title}, {analyst_name}, {analyst_first_name}, {team_name}.",
    )
    is_active = forms.BooleanField(label="Offered on tickets", required=False, initial=True)

    def __init__(self, *args: Any, teams: QuerySet[Team] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = (  # type: ignore[attr-defined]
            teams if teams is not None else active_teams()
        )


class KnownErrorFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    service = forms.ModelChoiceField(
        label="Service", queryset=BusinessService.objects.none(), required=False, empty_label="Any"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = active_services()  # type: ignore[attr-defined]
