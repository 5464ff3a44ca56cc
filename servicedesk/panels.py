"""Page panels other apps contribute, so that an app can show its data on another app's page
without that app importing it (``changes`` shows its changes on the incident page; ``incidents``
never imports ``changes``). A page names a slot with ``{% panels "slot" obj %}``; apps register
renderers for the slot in their ``AppConfig.ready``."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Renderer = Callable[[HttpRequest, Any], str]

_SLOTS: dict[str, list[Renderer]] = {}


def register(slot: str, renderer: Renderer) -> None:
    renderers = _SLOTS.setdefault(slot, [])
    if renderer not in renderers:
        renderers.append(renderer)


def render(slot: str, request: HttpRequest, obj: Any) -> list[str]:
    """The HTML of every panel registered for ``slot`` (empty ones left out)."""
    return [html for renderer in _SLOTS.get(slot, []) if (html := renderer(request, obj))]
