"""The project's form renderer: every ``{{ form }}`` and ``{{ field.as_field_group }}`` goes
through ``templates/forms/`` (an error summary at the top of a failed form, each field with its
label, help text and error under the ids its ``aria-describedby`` names)."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
