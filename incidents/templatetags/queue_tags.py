"""Queue cells: the SLA badge, the business time left, and the whole row."""

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from incidents.at_risk import BREACHING_WITHIN
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


def _when(moment: datetime) -> str:
    """``{{ moment|date:"d M H:i" }}``: in the current time zone, month abbreviated (as
    Django's ``M``: the translated three-letter name, title-cased), without the date filter's
    formatter (a tenth of a millisecond a date; a queue row shows two)."""
    local = localtime(moment)
    return f"{local.day:02d} {MONTHS_3[local.month].title()} {local.hour:02d}:{local.minute:02d}"


@register.simple_tag(takes_context=True)
def queue_row(context: template.Context, i: Any) -> SafeString:
    """One queue row, the same markup ``_queue_row.html`` had as a template, written in Python:
    a page renders 25 of them, and the template engine took ~0.4 ms a row (a third of a queue
    page's time at 1,000,000 incidents). Reads ``now``, ``sla_specs``, ``next``,
    ``csrf_token``, ``row_taken`` and ``row_error`` from the context."""
    now = context["now"]
    row_taken = context.get("row_taken")
    row_error = context.get("row_error")
    ref = i.ref
    detail_url = reverse("incident-detail", args=[i.pk])
    announce: str
    if row_taken:
        announce = format_html(' class="just-taken" data-announce="You took {}."', ref)
    elif row_error:
        announce = format_html(' data-announce="{}"', row_error)
    else:
        announce = ""
    major = mark_safe('<span class="badge bad">major</span>') if i.is_major else ""
    replied = (
        format_html(
            '<span class="badge warn replied" title="The requester wrote on {} and nobody has '
            'answered yet">requester replied</span>',
            _when(i.requester_replied_at),
        )
        if i.requester_replied_at
        else ""
    )
    service = format_html(" · {}", i.service.name) if i.service else ""
    error = format_html('<div class="error">{}</div>', row_error) if row_error else ""
    team = i.team.name if i.team is not None else ""
    if i.assignee_id:
        taken = mark_safe(' <span class="badge ok">taken by you</span>') if row_taken else ""
        assignee = format_html("{}{}\n    ", i.assignee.name, taken)
    else:
        take_url = reverse("incident-action", args=[i.pk, "take"])
        csrf = context.get("csrf_token")
        csrf_input = (
            format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf)
            if csrf and csrf != "NOTPROVIDED"
            else ""
        )
        assignee = format_html(
            '\n    <form method="post" action="{}" class="inline"\n'
            '          hx-post="{}" hx-target="closest tr" hx-swap="outerHTML">\n'
            '      {}<input type="hidden" name="next" value="{}">\n'
            '      <button type="submit" class="small primary">Take</button>\n'
            "    </form>\n    ",
            take_url,
            take_url,
            csrf_input,
            context.get("next", ""),
        )
    return format_html(
        '<tr id="row-{pk}"{announce}>\n'
        '  <td><input type="checkbox" name="bulk-ids" value="{pk}" form="bulk-form" '
        'aria-label="Select {ref}"></td>\n'
        '  <td class="mono nowrap"><a href="{url}">{ref}</a></td>\n'
        '  <td class="title-cell"><a href="{url}">{title}</a>\n'
        "    {major}\n"
        "    {replied}\n"
        '    <div class="muted small">{requester}{service}</div>\n'
        "    {error}\n"
        "  </td>\n"
        '  <td><span class="badge p{priority}">P{priority}</span></td>\n'
        '  <td><span class="badge st-{status}">{status_label}</span>\n'
        "</td>\n"
        '  <td class="nowrap">{badge} {left}</td>\n'
        '  <td class="nowrap">{created}</td>\n'
        '  <td class="nowrap">{updated}</td>\n'
        "  <td>{team}</td>\n"
        '  <td class="nowrap">\n'
        "    {assignee}\n"
        "  </td>\n"
        "</tr>\n",
        pk=i.pk,
        announce=announce,
        ref=ref,
        url=detail_url,
        title=i.title,
        major=major,
        replied=replied,
        requester=i.requester.name,
        service=service,
        error=error,
        priority=i.priority,
        status=i.status,
        status_label=i.get_status_display(),
        badge=sla_badge(i, now),
        left=time_left(i, now, context.get("sla_specs")),
        created=_when(i.created_at),
        updated=_when(i.updated_at),
        team=team or "—",
        assignee=assignee,
    )
