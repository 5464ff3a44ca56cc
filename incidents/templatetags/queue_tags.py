"""Queue cells: time left to the due time (until real SLA clocks arrive)."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from incidents.selectors import BREACHING_WITHIN

register = template.Library()


def span(delta: timedelta) -> str:
    """A duration in the two largest units people read at a glance: "2 d 4 h", "3 h 20 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


@register.simple_tag
def time_left(incident: Any, now: datetime) -> SafeString:
    due = incident.due_at
    if due is None:
        return format_html('<span class="muted">—</span>')
    held = " (on hold)" if incident.status == "pending" else ""
    when = f"due {due:%d %b %H:%M}"
    if due <= now:
        return format_html(
            '<span class="time-left late" title="{}">overdue by {}{}</span>',
            when,
            span(now - due),
            held,
        )
    css = "soon" if due - now <= BREACHING_WITHIN else ""
    return format_html(
        '<span class="time-left {}" title="{}">{} left{}</span>', css, when, span(due - now), held
    )
