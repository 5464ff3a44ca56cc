from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from servicedesk import panels as registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: Any, slot: str, obj: Any) -> SafeString:
    """``{% panels "incident.detail.side" incident %}``: what other apps add to this page."""
    request = context.get("request")
    if request is None:
        return mark_safe("")
    return mark_safe("".join(registry.render(slot, request, obj)))  # noqa: S308 (rendered templates)
