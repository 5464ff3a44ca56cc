"""The search-as-you-type choosers' options (an htmx fragment of the ticket page's forms)."""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents import choosers
from org.roles import request_user

from .common import require_agent

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,60}$")


@login_required
@require_GET
def chooser(request: HttpRequest, for_field: str) -> HttpResponse:
    """At most ``choosers.LIMIT`` options matching ``q`` for the field ``name`` (the form's
    field name, so the radios post as that field). Analysts only."""
    user = request_user(request)
    require_agent(user, "Choosing a problem, a person or a team")
    if for_field not in choosers.CHOICES:
        raise Http404("No such chooser.")
    kind = choosers.KINDS[choosers.KIND_OF[for_field]]
    name = request.GET.get("name", "")
    if not NAME_RE.match(name):
        name = for_field
    q = request.GET.get(f"{name}_q", request.GET.get("q", ""))[: choosers.QUERY_MAX]
    rows = choosers.search(kind, choosers.CHOICES[for_field](), q)
    context = {
        "id": f"id_{name}",
        "name": name,
        "kind": kind,
        "options": [(row.pk, kind.label(row)) for row in rows],
        "chosen": None,
        "searched": len("".join(q.split())) >= 2,
        "q": q.strip(),
        "limit": choosers.LIMIT,
    }
    return render(request, "incidents/_chooser_results.html", context)
