"""Search-as-you-type choosers for a problem, a person or a team on the ticket page, instead of
drop-downs that list everything.

A chooser is a ``ModelChoiceField`` (so the id posted is validated against the same queryset,
with Django's usual message) whose widget renders a search box and, below it, the matching
options as radio buttons fetched by htmx from ``/choose/<kind>/`` (at most ``LIMIT``; keyboard:
type, Tab into the list, arrows to choose). Without JavaScript, or without picking one, the
text typed is taken as a reference the form resolves exactly: a problem's reference or number,
a person's username or e-mail address, a team's name."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Model, Q, QuerySet
from django.urls import reverse

from org.models import Team, User

from .models import Problem

LIMIT = 20
QUERY_MAX = 100
WORDS_MAX = 4


@dataclass(frozen=True)
class Typed:
    """Text typed in a chooser's search box with no option chosen."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Kind:
    slug: str
    noun: str  # "problem": "No problem matches …"
    plural: str
    typed_hint: str  # what to type without choosing: "its reference (PRB-000012)"
    words: Callable[[QuerySet[Any], str], QuerySet[Any]]  # one word of the search
    exact: Callable[[QuerySet[Any], str], Any]  # the typed reference → the row, or None
    label: Callable[[Any], str]
    order: tuple[str, ...]
    related: tuple[str, ...] = ()


def _problem_words(qs: QuerySet[Any], word: str) -> QuerySet[Any]:
    pk = Problem.id_from_ref(word.upper())
    match = Q(title__icontains=word)
    if pk is not None and pk < 2**63:
        match |= Q(pk=pk)
    return qs.filter(match)


def _problem_exact(qs: QuerySet[Any], text: str) -> Any:
    pk = Problem.id_from_ref(text.upper()) or (int(text) if text.isdigit() else None)
    if pk is None or pk >= 2**63:
        return None
    return qs.filter(pk=pk).first()


def _person_words(qs: QuerySet[Any], word: str) -> QuerySet[Any]:
    return qs.filter(
        Q(username__icontains=word)
        | Q(email__icontains=word)
        | Q(first_name__icontains=word)
        | Q(last_name__icontains=word)
        | Q(display_name__icontains=word)
    )


def _person_exact(qs: QuerySet[Any], text: str) -> Any:
    found = list(qs.filter(Q(username__iexact=text) | Q(email__iexact=text))[:2])
    return found[0] if len(found) == 1 else None


def _person_label(user: Any) -> str:
    return f"{user.name} · {user.username}" + (f" · {user.email}" if user.email else "")


KINDS = {
    kind.slug: kind
    for kind in (
        Kind(
            slug="problem",
            noun="problem",
            plural="problems",
            typed_hint="its reference (PRB-000012)",
            words=_problem_words,
            exact=_problem_exact,
            label=lambda p: f"{p.ref} · {p.title} ({p.get_status_display().lower()})",
            order=("-created_at", "-pk"),
        ),
        Kind(
            slug="person",
            noun="person",
            plural="people",
            typed_hint="their username or e-mail address",
            words=_person_words,
            exact=_person_exact,
            label=_person_label,
            order=("display_name", "username", "pk"),
        ),
        Kind(
            slug="team",
            noun="team",
            plural="teams",
            typed_hint="its name",
            words=lambda qs, word: qs.filter(name__icontains=word),
            exact=lambda qs, text: qs.filter(name__iexact=text).first(),
            label=lambda t: t.name,
            order=("name", "pk"),
        ),
    )
}


def search(kind: Kind, queryset: QuerySet[Any], q: str) -> list[Any]:
    """At most ``LIMIT`` rows of ``queryset`` matching every word of ``q`` (two characters at
    least), in the kind's order."""
    words = (q or "")[:QUERY_MAX].split()[:WORDS_MAX]
    if len("".join(words)) < 2:
        return []
    qs = queryset
    for word in words:
        qs = kind.words(qs, word)
    return list(qs.order_by(*kind.order)[:LIMIT])


def _linkable() -> QuerySet[Any]:
    from .forms import linkable_problems

    return linkable_problems()


def _agents() -> QuerySet[Any]:
    """People who can be assigned work: active members or leads of a team."""
    return User.objects.filter(
        Q(memberships__isnull=False) | Q(teams_led__isnull=False), is_active=True
    ).distinct()


def _teams() -> QuerySet[Any]:
    return Team.objects.filter(is_active=True)


# What each chooser offers, by the name the endpoint is asked for (``?for=``).
CHOICES: dict[str, Callable[[], QuerySet[Any]]] = {
    "problem": _linkable,
    "assignee": _agents,
    "team": _teams,
}
KIND_OF = {"problem": "problem", "assignee": "person", "team": "team"}


class ChooserWidget(forms.Widget):
    template_name = "forms/chooser.html"

    def __init__(self, *, for_field: str, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.for_field = for_field
        self.choices: Any = None  # set by ModelChoiceField: its ModelChoiceIterator

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        chosen = data.get(name)
        if chosen:
            return chosen
        typed = (data.get(f"{name}_q") or "").strip()
        return Typed(typed) if typed else None

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}_q" not in data

    def format_value(self, value: Any) -> Any:
        return value

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        kind = KINDS[KIND_OF[self.for_field]]
        chosen = None
        text = ""
        if isinstance(value, Typed):
            text = value.text
        elif isinstance(value, Model):
            chosen = value
        elif value not in (None, "") and str(value).isdigit() and self.choices is not None:
            chosen = self.choices.queryset.filter(pk=int(value)).first()  # the one chosen
        widget = context["widget"]
        widget["attrs"].pop("required", None)  # a chosen option posts the value, not the box
        widget_id = widget["attrs"].get("id") or f"id_{name}"
        widget.update(
            {
                "text": text,
                "url": reverse("chooser", args=[self.for_field]),
                "results": {
                    "id": widget_id,
                    "name": name,
                    "kind": kind,
                    "options": [(chosen.pk, kind.label(chosen))] if chosen is not None else [],
                    "chosen": chosen.pk if chosen is not None else None,
                    "searched": False,
                    "q": "",
                },
            }
        )
        return context


class ChooserField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` chosen by search; a typed reference is resolved exactly."""

    def __init__(self, *, for_field: str, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", CHOICES[for_field]())
        kwargs["widget"] = ChooserWidget(for_field=for_field)
        kwargs.setdefault("empty_label", None)
        super().__init__(**kwargs)
        self.kind = KINDS[KIND_OF[for_field]]

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Typed):
            found = self.kind.exact(self.queryset.all(), value.text)  # type: ignore[union-attr]
            if found is None:
                raise forms.ValidationError(
                    f"No {self.kind.noun} is “{value.text[:60]}”: type a few letters and choose "
                    f"one of the matches, or type {self.kind.typed_hint}.",
                    code="no_match",
                )
            return found
        return super().to_python(value)
