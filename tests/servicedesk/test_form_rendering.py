"""The plain field and the ``<input>`` widgets written in Python (servicedesk.form_rendering) give
the same text as their templates (``templates/forms/field.html``, Django's ``input.html`` and
``attrs.html``), for every form of the project that can be built without arguments, unbound and
bound to nothing (every required field in error), and for the awkward cases: help text, markup in
labels, hints, errors and attributes, no ids, true and false attributes."""

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting

from servicedesk.form_rendering import FormRenderer, plain_field

ROOT = Path(__file__).resolve().parents[2]


class TemplatesOnly(FormRenderer):
    """The same templates, every one rendered by the template engine."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        return TemplatesSetting.render(self, template_name, context, request)


def project_forms() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for path in sorted(ROOT.glob("*/forms.py")) + sorted(ROOT.glob("*/*_forms.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = value
    return [found[key] for key in sorted(found)]


class Awkward(forms.Form):
    title = forms.CharField(
        label="Title & <summary>",
        help_text="Short: <b>one line</b> & more",
        widget=forms.TextInput(
            attrs={"placeholder": 'Say "what" & <why>', "autofocus": True, "spellcheck": False}
        ),
    )
    notes = forms.CharField(widget=forms.Textarea, required=False, help_text="Markdown")
    when = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    level = forms.ChoiceField(choices=[("1", "One <1>"), ("2", "Two")])
    count = forms.IntegerField(min_value=1)
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    grouped = forms.ChoiceField(
        choices=[("Group <a>", [("x", "X & y"), ("w", "W")]), ("z", "Z"), (1000, 1000)],
        required=False,
    )
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B <b>")], required=False)
    agree = forms.BooleanField(required=False, help_text="Tick <it>")

    def clean_title(self) -> str:
        raise forms.ValidationError(["Bad <title>", "and & more"])


def compare(form: forms.BaseForm) -> int:
    """Each field rendered both ways (label, hint, error and control); how many went through
    the Python field."""
    fast, slow = {}, {}
    for key, renderer in (("fast", FormRenderer()), ("slow", TemplatesOnly())):
        form.renderer = renderer
        for field in form:
            (fast if key == "fast" else slow)[field.name] = str(field.as_field_group())
    assert fast == slow
    return sum(plain_field(field) is not None for field in form)


@pytest.mark.django_db
def test_every_project_form_renders_the_same_fields() -> None:
    checked = 0
    classes = project_forms()
    assert len(classes) > 30
    for form_class in classes:
        for kwargs in ({}, {"data": {}}):
            try:
                form = form_class(**kwargs)
            except TypeError:  # needs arguments (a user, an incident): covered by its pages
                continue
            form.is_valid() if form.is_bound else None
            checked += compare(form)
    assert checked > 100


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize(
    "data",
    [None, {"title": "x", "count": "0", "level": "9", "grouped": "w", "several": ["a", "b"]}],
)
def test_awkward_fields_render_the_same(auto_id: Any, data: Any) -> None:
    form = Awkward(data=data, auto_id=auto_id)
    if data is not None:
        assert not form.is_valid()
        assert "Bad &lt;title&gt; and &amp; more" in str(form["title"].as_field_group())
    assert compare(form) == 7  # the hidden field and the checkbox: the template's
    assert 'placeholder="Say &quot;what&quot; &amp; &lt;why&gt;" autofocus' in str(form["title"])
    assert "spellcheck" not in str(form["title"])
    grouped = str(form["grouped"])
    assert '<optgroup label="Group &lt;a&gt;">' in grouped and ">X &amp; y</option>" in grouped
    if data is None:
        assert "Short: &lt;b&gt;one line&lt;/b&gt; &amp; more" in str(
            form["title"].as_field_group()
        )


def test_checkboxes_radios_and_hidden_fields_stay_with_the_template() -> None:
    class Mixed(forms.Form):
        agree = forms.BooleanField()
        pick = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
        secret = forms.CharField(widget=forms.HiddenInput)

    form = Mixed()
    assert all(plain_field(field) is None for field in form)


@pytest.mark.django_db
def test_choosers_render_the_same_chosen_typed_or_empty() -> None:
    """The search-as-you-type chooser (incidents.choosers) written in Python: empty, with the
    chosen team (by id, looked up, and as the cleaned instance), with text typed that matched
    nothing (markup in it), and without ids; the results of a search stay with the template."""
    from incidents.choosers import KINDS, ChooserField
    from org.models import Team
    from servicedesk.form_rendering import chooser_widget

    team = Team.objects.create(name='Desk <&> "one"', slug="desk-one")

    class Pick(forms.Form):
        team = ChooserField(for_field="team", label="Team", required=False)
        owner = ChooserField(for_field="assignee", label="Owner <b>", help_text="Who & why")

    cases: list[dict[str, Any]] = [
        {},
        {"team": str(team.pk)},
        {"team_q": 'no such "team" <b>'},
        {"team": "999999"},
        {"team_q": team.name},
    ]
    for data in cases:
        for auto_id in ("id_%s", False):
            bound = Pick(data=data, auto_id=auto_id)
            bound.is_valid()
            compare(bound)
            unbound = Pick(initial={"team": team}, auto_id=auto_id)
            compare(unbound)
    chosen = str(Pick(data={"team": str(team.pk)})["team"])
    assert f'value="{team.pk}" id="id_team_{team.pk}" checked> <span>' in chosen
    assert "Desk &lt;&amp;&gt; &quot;one&quot;" in chosen
    typed = str(Pick(data={"team_q": 'no such "team" <b>'})["team"])
    assert 'value="no such &quot;team&quot; &lt;b&gt;"' in typed
    searched = {
        "name": "team",
        "attrs": {"id": "id_team"},
        "text": "de",
        "url": "/choose/team/",
        "results": {
            "id": "id_team",
            "name": "team",
            "kind": KINDS["team"],
            "options": [(team.pk, team.name)],
            "chosen": None,
            "searched": True,
            "q": "de",
        },
    }
    assert chooser_widget(searched) is None
