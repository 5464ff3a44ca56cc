"""Queue cells: the SLA badge and the business time left."""

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from incidents.selectors import BREACHING_WITHIN
from incidents.sla import Badge, badges, remaining_now

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


def sla_state(incident: Any) -> Any:
    try:
        return incident.sla
    except ObjectDoesNotExist:
        return None


BADGE_CSS = {
    Badge.ON_TRACK: "ok",
    Badge.AT_RISK: "warn",
    Badge.BREACHED: "bad",
    Badge.PAUSED: "st-pending",
    Badge.MET: "ok",
}


@register.simple_tag
def sla_badge(incident: Any, now: datetime) -> SafeString:
    """On track / at risk / breached / paused / met, from the stored clocks (no query)."""
    state = sla_state(incident)
    if state is None or (not incident.is_open and state.stopped_at is None):
        return mark_safe("")
    badge = badges(state, now)[2]
    if badge == Badge.NONE:
        return mark_safe("")
    title = f"SLA: {state.policy_name}" if state.policy_name else "SLA: default targets"
    return format_html(
        '<span class="badge sla {} sla-{}" title="{}">{}</span>',
        BADGE_CSS.get(badge, ""),
        badge,
        title,
        Badge.LABELS[badge],
    )


@register.simple_tag
def time_left(incident: Any, now: datetime, specs: Any = None) -> SafeString:
    """Business time left to resolve (to respond, while nobody has answered and that comes
    first) on the incident's calendar; wall-clock to ``due_at`` for tickets without clocks."""
    due = incident.due_at
    if due is None:
        return format_html('<span class="muted">—</span>')
    held = " (on hold)" if incident.status == "pending" else ""
    when = f"due {due:%d %b %H:%M}"
    state = sla_state(incident)
    if state is not None and state.calendar_id is not None and specs is not None:
        spec = specs.get(state.calendar_id)
        left = (
            remaining_now(
                spec,
                target=state.resolution_target,
                elapsed_at_compute=state.resolution_elapsed,
                computed_at=state.computed_at,
                now=now,
                running=state.paused_since is None and state.stopped_at is None,
            )
            if spec is not None
            else None
        )
        if left is not None:
            if left <= timedelta(0):
                return format_html(
                    '<span class="time-left late" title="{}">overdue by {} business time{}</span>',
                    when,
                    span(-left),
                    held,
                )
            css = "soon" if left <= BREACHING_WITHIN else ""
            return format_html(
                '<span class="time-left {}" title="{}">{} business time left{}</span>',
                css,
                when,
                span(left),
                held,
            )
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


@register.filter
def business_left(value: timedelta | None) -> str:
    """Business time left, or how far past it is."""
    if value is None:
        return "—"
    if value <= timedelta(0):
        return f"overdue by {span(-value)}"
    return f"{span(value)} left"


@register.simple_tag
def in_zone(moment: datetime | None, person: Any) -> str:
    """A time in the person's own time zone, with the zone named."""
    if moment is None:
        return "—"
    try:
        zone = zoneinfo.ZoneInfo(getattr(person, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return f"{moment.astimezone(zone):%a %d %b, %H:%M} ({zone.key})"
