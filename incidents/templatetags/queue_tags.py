"""Queue cells: the SLA badge, the business time left, and the whole row."""

import zoneinfo
from datetime import datetime, timedelta
from html import escape as _escape
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
        return mark_safe('<span class="muted">—</span>')
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


def _h(value: Any) -> str:
    """``conditional_escape`` for a row's values without its lazy-argument wrapper (a row
    escapes ~30 of them): markup (``__html__``) as it is, anything else as text, escaped as
    Django's ``escape`` does (``html.escape``)."""
    kind = type(value)
    if kind is str:
        return _escape(value)
    if kind is int:
        return str(value)
    markup = getattr(value, "__html__", None)
    return markup() if markup is not None else _escape(str(value))


_PK_SENTINEL = 987654321987654321  # a key no row has, replaced by each row's


def _url(context: template.Context, name: str, pk: int, *rest: Any) -> str:
    """``reverse(name, args=[pk, *rest])``, reversed once per render and the key put in for
    each row (``reverse`` took a fifth of a row's time)."""
    key = f"queue_tags.url:{name}:{rest}"
    pattern = context.render_context.get(key)
    if pattern is None:
        pattern = reverse(name, args=[_PK_SENTINEL, *rest])
        context.render_context[key] = pattern
    return pattern.replace(str(_PK_SENTINEL), str(pk))


@register.simple_tag(takes_context=True)
def queue_row(context: template.Context, i: Any) -> SafeString:
    """One queue row, the same markup ``_queue_row.html`` had as a template, written in Python:
    a page renders 25 of them, and the template engine took ~0.4 ms a row (a third of a queue
    page's time at 1,000,000 incidents); written by ``format_html``, ~0.35 ms a row still, most
    of it escaping through Django's lazy-argument wrapper and reversing URLs. Reads ``now``,
    ``sla_specs``, ``next``, ``csrf_token``, ``row_taken`` and ``row_error`` from the context.
    ``tests/incidents/test_queue_row.py`` holds it to the ``format_html`` version."""
    now = context["now"]
    row_taken = context.get("row_taken")
    row_error = context.get("row_error")
    pk = i.pk
    ref = _h(i.ref)
    url = _url(context, "incident-detail", pk)
    if row_taken:
        announce = f' class="just-taken" data-announce="You took {ref}."'
    elif row_error:
        announce = f' data-announce="{_h(row_error)}"'
    else:
        announce = ""
    major = '<span class="badge bad">major</span>' if i.is_major else ""
    replied = (
        '<span class="badge warn replied" title="The requester wrote on '
        f'{_h(_when(i.requester_replied_at))} and nobody has answered yet">'
        "requester replied</span>"
        if i.requester_replied_at
        else ""
    )
    service = f" · {_h(i.service.name)}" if i.service else ""
    error = f'<div class="error">{_h(row_error)}</div>' if row_error else ""
    team = _h(i.team.name) if i.team is not None and i.team.name else "—"
    if i.assignee_id:
        taken = ' <span class="badge ok">taken by you</span>' if row_taken else ""
        assignee = f"{_h(i.assignee.name)}{taken}\n    "
    else:
        take_url = _h(_url(context, "incident-action", pk, "take"))
        csrf = context.get("csrf_token")
        csrf_input = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{_h(csrf)}">'
            if csrf and csrf != "NOTPROVIDED"
            else ""
        )
        assignee = (
            f'\n    <form method="post" action="{take_url}" class="inline"\n'
            f'          hx-post="{take_url}" hx-target="closest tr" hx-swap="outerHTML">\n'
            f'      {csrf_input}<input type="hidden" name="next" '
            f'value="{_h(context.get("next", ""))}">\n'
            '      <button type="submit" class="small primary">Take</button>\n'
            "    </form>\n    "
        )
    url = _h(url)
    priority = _h(i.priority)
    return mark_safe(  # noqa: S308 - every value above escaped by _h
        f'<tr id="row-{_h(pk)}"{announce}>\n'
        f'  <td><input type="checkbox" name="bulk-ids" value="{_h(pk)}" form="bulk-form" '
        f'aria-label="Select {ref}"></td>\n'
        f'  <td class="mono nowrap"><a href="{url}">{ref}</a></td>\n'
        f'  <td class="title-cell"><a href="{url}">{_h(i.title)}</a>\n'
        f"    {major}\n"
        f"    {replied}\n"
        f'    <div class="muted small">{_h(i.requester.name)}{service}</div>\n'
        f"    {error}\n"
        "  </td>\n"
        f'  <td><span class="badge p{priority}">P{priority}</span></td>\n'
        f'  <td><span class="badge st-{_h(i.status)}">{_h(i.get_status_display())}</span>\n'
        "</td>\n"
        f'  <td class="nowrap">{_h(sla_badge(i, now))} '
        f"{_h(time_left(i, now, context.get('sla_specs')))}</td>\n"
        f'  <td class="nowrap">{_h(_when(i.created_at))}</td>\n'
        f'  <td class="nowrap">{_h(_when(i.updated_at))}</td>\n'
        f"  <td>{team}</td>\n"
        '  <td class="nowrap">\n'
        f"    {assignee}\n"
        "  </td>\n"
        "</tr>\n"
    )
