"""The project's form renderer: every ``{{ form }}`` and ``{{ field.as_field_group }}`` goes
through ``templates/forms/`` (an error summary at the top of a failed form, each field with its
label, help text and error under the ids its ``aria-describedby`` names).

The plain field (label, hint, error, control: every widget but a lone checkbox, radio buttons,
ticks and grouped inputs) is written here in Python, the same markup ``forms/field.html`` renders:
the queue renders eleven fields a page, and the template engine took ~0.3 ms a field for the
label, hint and error around the control. So are Django's ``<input>`` widgets (text, number,
e-mail, date, hidden, …: ``input.html`` with ``attrs.html``, two template renders an input),
the project's ``select.html`` and the search-as-you-type chooser (``chooser.html``, three
template renders with the results it includes; a queue page shows five).
``tests/servicedesk/test_form_rendering.py`` checks both ways give the same text."""

from typing import Any

from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

TEMPLATED = frozenset({"checkbox", "radioselect", "checkboxselectmultiple"})
# Django's widget templates that are only ``{% include "django/forms/widgets/input.html" %}``
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
    )
)


SELECT = "django/forms/widgets/select.html"  # the project's (templates/django/forms/widgets)
CHOOSER = "forms/chooser.html"  # incidents.choosers.ChooserWidget


def _stringformat(value: Any) -> Any:
    """``value|stringformat:'s'`` (a safe value stays safe, as the filter is ``is_safe``)."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return mark_safe(text) if isinstance(value, SafeData) else text  # noqa: S308


def _shown(value: Any) -> Any:
    """``{{ value }}``: localised as the template engine does (escaped by ``format_html``)."""
    return localize(template_localtime(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    return mark_safe(  # noqa: S308 - each part escaped by format_html
        "".join(
            format_html(" {}", _shown(name))
            if given is True
            else format_html(' {}="{}"', _shown(name), _stringformat(given))
            for name, given in attrs.items()
            if given is not False
        )
    )


def input_widget(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html`` (stripped)."""
    value = widget["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        _shown(widget["type"]),
        _shown(widget["name"]),
        format_html(' value="{}"', _stringformat(value)) if value is not None else "",
        _attrs(widget["attrs"]),
    )


def select_widget(widget: dict[str, Any]) -> str:
    """``templates/django/forms/widgets/select.html`` (stripped)."""
    parts: list[str] = [
        format_html('<select name="{}"{}>', _shown(widget["name"]), _attrs(widget["attrs"]))
    ]
    for group_name, group_choices, _ in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', _shown(group_name)))
        for option in group_choices:
            parts.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    _stringformat(option["value"]),
                    _attrs(option["attrs"]),
                    _shown(option["label"]),
                )
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - each part escaped by format_html


def chooser_widget(widget: dict[str, Any]) -> str | None:
    """``templates/forms/chooser.html`` with its ``_chooser_results.html`` as a form shows them
    (nothing searched yet: the chosen option, if any), or None for the template to decide."""
    results = widget["results"]
    if results["searched"]:
        return None
    box = results["id"]
    name = widget["name"]
    fieldset = ""  # the chosen option, if any
    if results["options"]:
        fieldset = format_html(
            '\n  <fieldset class="radios"><legend>Chosen {}</legend>\n  {}\n  </fieldset>\n  \n',
            _shown(results["kind"].noun),
            mark_safe(  # noqa: S308 - each part escaped by format_html
                "".join(
                    format_html(
                        '\n    <label class="radio" for="{}_{}"><input type="radio" name="{}" '
                        'value="{}" id="{}_{}"{}> <span>{}</span></label>\n  ',
                        _shown(box),
                        _shown(pk),
                        _shown(name),
                        _shown(pk),
                        _shown(box),
                        _shown(pk),
                        " checked" if pk == results["chosen"] else "",
                        _shown(label),
                    )
                    for pk, label in results["options"]
                )
            ),
        )
    return format_html(
        '<div class="chooser">\n  <input type="search" name="{}_q" value="{}" autocomplete="off" '
        'spellcheck="false"{}\n         hx-get="{}" hx-vals=\'{{"name": "{}"}}\' '
        'hx-params="name,{}_q" hx-trigger="input changed delay:250ms, search" '
        'hx-target="#{}_results" hx-swap="outerHTML" hx-sync="this:replace">\n  '
        '<div id="{}_results" class="people chooser-results" data-announce="">\n{}\n</div>\n'
        "\n</div>",
        _shown(name),
        _shown(widget["text"]),
        _attrs(widget["attrs"]),
        _shown(widget["url"]),
        _shown(name),
        _shown(name),
        _shown(box),
        _shown(box),
        fieldset,
    )


def plain_field(field: Any) -> str | None:
    """``forms/field.html`` for a plain field (stripped, as the renderer returns it), or None
    where the template decides (hidden, checkbox, radios, ticks, a fieldset)."""
    if field.is_hidden or field.widget_type in TEMPLATED or field.use_fieldset:
        return None
    errors = field.errors
    auto_id = field.auto_id
    hint = ""
    if field.help_text:
        hint = format_html(
            '<div class="hint"{}>{}</div>',
            format_html(' id="{}_helptext"', _shown(auto_id)) if auto_id else "",
            _shown(field.help_text),
        )
    error = ""
    if errors:
        error = format_html(
            '<p class="error"{}><span class="visually-hidden">Error: </span>{}</p>',
            format_html(' id="{}_error"', _shown(auto_id)) if auto_id else "",
            mark_safe(" ".join(conditional_escape(e) for e in errors)),  # noqa: S308 - escaped
        )
    return format_html(
        '<div class="field field-{}{}">\n  \n  <label for="{}">{}</label>\n  {}\n{}\n\n  {}\n  \n'
        "</div>",
        _shown(field.widget_type),
        " has-error" if errors else "",
        _shown(field.id_for_label),
        _shown(field.label),
        hint,
        error,
        field,
    )


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if request is None:
            if template_name in INPUTS:
                return input_widget(context["widget"])
            if template_name == SELECT:
                return select_widget(context["widget"])
            if template_name == CHOOSER:
                html = chooser_widget(context["widget"])
                if html is not None:
                    return html
            if template_name == self.field_template_name:
                html = plain_field(context["field"])
                if html is not None:
                    return html
        return super().render(template_name, context, request)
