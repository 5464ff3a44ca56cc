"""The queue row written with f-strings (``queue_tags.queue_row``) is byte for byte the row
``format_html`` wrote, whatever the row holds: markup in every text, each badge, both kinds of
assignee cell, a row just taken, a row with an error, with and without a CSRF token."""

from datetime import timedelta
from typing import Any

import pytest
from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from incidents import selectors, services
from incidents.models import Incident
from incidents.templatetags.queue_tags import _when, queue_row, sla_badge, time_left
from org.models import BusinessService

from .factories import incident_in, make_incident

pytestmark = pytest.mark.django_db

MARKUP = """<b>"Tom" & 'Jerry'</b>"""


def reference_row(context: template.Context, i: Any) -> SafeString:
    """The row as format_html wrote it (the code before queue_row was written with f-strings)."""
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


def test_the_row_is_the_format_html_row(requester: Any, analyst: Any, team: Any) -> None:
    service = BusinessService.objects.create(
        name=f"Mail {MARKUP}", slug="mail-markup", owner_team=team
    )
    requester.display_name = f"Req {MARKUP}"
    requester.save(update_fields=["display_name"])
    analyst.display_name = f"Ana {MARKUP}"
    analyst.save(update_fields=["display_name"])
    team.name = f"Desk {MARKUP}"
    team.save(update_fields=["name"])
    rows = [
        make_incident(requester, title=f"Printer {MARKUP}", service=service),
        make_incident(requester, title="Major", impact=1, urgency=1, is_major=True, actor=analyst),
        incident_in("in_progress", requester=requester, analyst=analyst, team=team),
        incident_in("pending", requester=requester, analyst=analyst, team=team),
        incident_in("resolved", requester=requester, analyst=analyst, team=team),
    ]
    replied = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    services.incident_comment(incident=replied, actor=requester, body="Any news?")
    rows.append(replied)
    no_due = make_incident(requester, title="No due time")
    Incident.objects.filter(pk=no_due.pk).update(due_at=None)
    rows.append(no_due)
    full = selectors.incident_rows(ids=[i.pk for i in rows])
    now = timezone.now() + timedelta(hours=3)
    specs = selectors.calendar_specs(
        getattr(getattr(i, "sla", None), "calendar_id", None) for i in full.values()
    )
    contexts: list[dict[str, Any]] = [
        {"csrf_token": "tok<en>", "next": f"/queue/?q={MARKUP}"},
        {"csrf_token": "NOTPROVIDED"},
        {},
        {"row_taken": True, "csrf_token": "t"},
        {"row_error": f"Could not take it: {MARKUP}"},
    ]
    compared = 0
    for extra in contexts:
        for i in full.values():
            values = {"now": now, "sla_specs": specs, **extra}
            ours = queue_row(template.Context(values), i)
            theirs = reference_row(template.Context(values), i)
            assert ours == theirs, (extra, i.title)
            assert isinstance(ours, SafeString)
            compared += 1
    assert compared == 35
    html = "".join(
        queue_row(template.Context({"now": now, "sla_specs": specs}), i) for i in full.values()
    )
    assert "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;" in html
    assert MARKUP not in html
    assert 'class="badge warn replied"' in html and 'class="badge bad">major' in html
