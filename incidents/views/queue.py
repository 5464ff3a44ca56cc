"""The analyst's queue: tabs, filters, sorting, take and bulk actions."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from incidents import selectors, services
from incidents.forms import BulkForm, QueueFilterForm, SavedViewForm
from incidents.models import Incident
from incidents.services.saved_views import FILTER_KEYS
from org.models import User
from org.roles import request_user
from servicedesk import pagination
from servicedesk.errors import DomainError

from .common import is_htmx, keyset_paginate, require_agent, safe_next
from .tickets import link_preview_response

# --- analyst: the queue ---------------------------------------------------------------------
SORTABLE = selectors.QUEUE_SORTS
ORDERINGS = selectors.QUEUE_ORDERINGS


@login_required
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest, tab: str = "mine") -> HttpResponse:
    user = request_user(request)
    require_agent(user, "The queue")
    if tab not in selectors.QUEUES:
        raise Http404("No such queue.")
    bulk_form = BulkForm(request.POST or None, prefix="bulk")
    status = 200
    if request.method == "POST":
        status = 400
        if bulk_form.is_valid():
            preview = _bulk_link_preview(request, user, bulk_form)
            if preview is not None:
                return preview
            try:
                message = _bulk(user, bulk_form)
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, message)
                return redirect(request.get_full_path())
    return _queue_page(request, user, tab, bulk_form, status)


def _bulk(user: User, form: BulkForm) -> str:
    data = form.cleaned_data
    ids = data["ids"]
    if data["action"] == "link":
        linked = services.problem_link_incidents(
            problem=data["problem"],
            actor=user,
            incident_ids=ids,
            move=data["confirm"],
            send_workaround=data["send_workaround"],
        )
        if not linked:
            ref = data["problem"].ref
            return f"Nothing new to link: those incidents were already linked to {ref}."
        return f"Linked {len(linked)} incident(s) to {data['problem'].ref}."
    done = services.incident_bulk_assign(
        incident_ids=ids, actor=user, team=data["team"], assignee=data["assignee"]
    )
    return f"Assigned {len(done)} incident(s)."


def _bulk_link_preview(request: HttpRequest, user: User, form: BulkForm) -> HttpResponse | None:
    """Before a bulk link that moves rows or sends a workaround: what happens to each row."""
    data = form.cleaned_data
    if data["action"] != "link" or data["confirm"]:
        return None
    resend = [("bulk-action", "link"), ("bulk-problem", str(data["problem"].pk))]
    resend += [("bulk-ids", str(pk)) for pk in data["ids"]]
    return link_preview_response(
        request,
        user,
        data["problem"],
        data["ids"],
        prefix="bulk-",
        resend=resend,
        back=request.get_full_path(),
        always=True,
    )


def _queue_page(
    request: HttpRequest, user: User, tab: str, bulk_form: BulkForm, status: int
) -> HttpResponse:
    filter_form = QueueFilterForm(request.GET)
    conditions = selectors.queue_conditions(user=user)  # once, for the rows and the tab counts
    now = timezone.now()  # one instant: the order of "breaching soon" and the time left shown
    incidents: QuerySet[Incident] = Incident.objects.none()
    breaching: list[tuple[int, Any, Any]] | None = None  # "breaching soon" in its own order
    if filter_form.is_valid():
        filters = filter_form.filters()
        ordering = request.GET.get("ordering", "")
        if ordering in ORDERINGS:
            filters["ordering"] = ordering
        try:
            if tab == "breaching" and not filters.get("ordering"):
                # one more than it lists: are more at risk than it shows ("500+")?
                breaching = selectors.breaching_soon(
                    selectors.breaching_candidates(
                        user=user, filters=filters, conditions=conditions
                    ),
                    limit=BREACHING_ROWS_MAX + 1,
                    now=now,
                )
            else:
                incidents = selectors.incident_queue(
                    user=user, queue=tab, filters=filters, conditions=conditions
                )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = max(status, exc.status)
    else:
        status = max(status, 400)
    sla_specs = None
    if breaching is not None:
        more = len(breaching) > BREACHING_ROWS_MAX
        by_time_left, sla_specs = _by_business_time_left(breaching[:BREACHING_ROWS_MAX], now)
        page = keyset_paginate(request, by_time_left, capped=more)
        # the page's rows in full (with their people), in the order sorted
        full = selectors.incident_rows(ids=page.object_list)
        page.object_list = [full[pk] for pk in page.object_list if pk in full]
    else:
        page = keyset_paginate(request, incidents)
    current = request.GET.get("ordering", "")
    columns = [
        {
            "key": key,
            "label": label,
            "next": f"-{key}" if current == key else key,
            "arrow": "▲" if current == key else ("▼" if current == f"-{key}" else ""),
        }
        for key, label in SORTABLE
    ]
    context = {
        "tab": tab,
        "filter_form": filter_form,
        "bulk_form": bulk_form,
        "page": page,
        "columns": columns,
        "now": now,
        "sla_specs": (
            sla_specs
            if sla_specs is not None
            else selectors.calendar_specs(
                getattr(getattr(i, "sla", None), "calendar_id", None) for i in page
            )
        ),
        "next": request.get_full_path(),
        "refresh_seconds": settings.QUEUE_REFRESH_SECONDS,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "queue-results":
        # The periodic refresh: only the table (paused in the browser while rows are ticked).
        return render(request, "incidents/_queue_results.html", context, status=status)
    counts = selectors.queue_counts(user=user, conditions=conditions)
    context["tabs"] = [
        {
            "key": key,
            "label": label,
            "count": counts[key],
            "count_text": (
                f"{pagination.COUNT_LIMIT:,}+"
                if counts[key] > pagination.COUNT_LIMIT
                else f"{counts[key]:,}"
            ),
            "url": reverse("queue") if key == "mine" else reverse("queue-tab", args=[key]),
            "active": key == tab,
        }
        for key, label in selectors.QUEUES.items()
    ]
    context["saved_views"] = list(selectors.saved_views(user=user))
    context["save_form"] = SavedViewForm(initial={"tab": tab})
    return render(request, "incidents/queue.html", context, status=status)


# "Breaching soon" in its own order (by business time left) lists the first 500 at risk by due
# time: what is at risk, not the backlog; a sort of the user's choosing pages through them all.
BREACHING_ROWS_MAX = 500


def _by_business_time_left(
    rows: list[tuple[int, Any, Any]], now: Any
) -> tuple[list[int], dict[int, Any]]:
    """ "Breaching soon" (``selectors.breaching_soon``: at most the first 500 at risk by due
    time, the tab holds what is at risk, not the backlog) sorted by the business time left on
    the clock that runs out first: their ids in that order, and the calendars of their clocks.
    The page's rows are fetched in full after (at 1,000,000 incidents the full rows of the 500,
    five joins each, took 55 ms to read and as long again to build as models)."""
    specs = selectors.calendar_specs(state.calendar_id for _, _, state in rows if state)
    far = timedelta(days=36500)

    def left(row: tuple[int, Any, Any]) -> tuple[timedelta, int]:
        pk, due_at, state = row
        values = (
            [v for v in selectors.sla_time_left(state, now, specs) if v is not None]
            if state is not None
            else []
        )
        if values:
            return min(values), pk
        return (due_at - now) if due_at else far, pk

    return [row[0] for row in sorted(rows, key=left)], specs


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the queue's current tab, filters and sort under a name (from the queue page)."""
    user = request_user(request)
    require_agent(user, "Saved views")
    form = SavedViewForm(request.POST)
    back = reverse("queue")
    if form.is_valid():
        tab = form.cleaned_data["tab"]
        back = reverse("queue") if tab == "mine" else reverse("queue-tab", args=[tab])
        params = QueryDict(form.cleaned_data["query"])
        filters = {k: params[k] for k in params if k in FILTER_KEYS and params[k]}
        try:
            view = services.saved_view_create(
                actor=user,
                name=form.cleaned_data["name"],
                tab=tab,
                filters=filters,
                ordering=params.get("ordering", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Saved the view “{view.name}”.")
            return redirect(view.url)
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(back)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    require_agent(user, "Saved views")
    services.saved_view_delete(actor=user, view=pk)
    messages.success(request, "Saved view deleted.")
    return redirect(safe_next(request) or reverse("queue"))
