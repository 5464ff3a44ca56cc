"""Dashboards for managers and process owners: filters, SVG charts each with its table of
numbers, a CSV export of every table, and a printable one-page service review."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from org.models import BusinessService
from org.roles import request_user

from . import access, change_outcomes, charts, exceptions, selectors, sla_tables, tables
from .filtersets import MetricFilters, MetricsFilterForm, make_filters
from .side_by_side import side_by_side
from .sla import sla

CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _filters(request: HttpRequest) -> tuple[MetricsFilterForm, MetricFilters, str]:
    """The filters in use; the form always shows the period and time zone they resolve to."""
    user = request_user(request)
    access.require_viewer(user)
    tz = user.time_zone or "UTC"
    form = MetricsFilterForm(request.GET or None, default_tz=tz)
    filters = form.filters() if form.is_valid() else make_filters(tz=tz)
    if form.is_valid():
        data = request.GET.copy()
        data["start"], data["end"] = filters.start_date.isoformat(), filters.end_date.isoformat()
        data["tz"] = filters.tz
        form = MetricsFilterForm(data, default_tz=tz)
        form.is_valid()
    elif not form.is_bound:
        form.initial = {"start": filters.start_date, "end": filters.end_date, "tz": filters.tz}
    source = request.GET.get("source", "auto")
    if source not in selectors.SOURCES:
        source = "auto"
    return form, filters, source


def _compute(name: str, filters: MetricFilters, source: str) -> dict[str, Any]:
    if name == "outcomes":
        return selectors.outcomes(filters=filters, source=source)
    if name == "sla":
        return sla(filters=filters, source=source)
    if name == "side-by-side":
        return side_by_side(filters=filters, source=source)
    if name == "exceptions":
        return {
            "exceptions": exceptions.exceptions(filters=filters),
            "fairness": exceptions.fairness(filters=filters, source=source),
        }
    return change_outcomes.changes(filters=filters)


def _tables(kind: str, data: dict[str, Any]) -> list[tables.Table]:
    if kind == "outcomes":
        return tables.outcome_tables(data)
    if kind == "sla":
        return sla_tables.sla_tables(data)
    if kind == "side-by-side":
        return sla_tables.side_by_side_tables(data)
    if kind == "exceptions":
        return tables.exception_tables(data["exceptions"], data["fairness"])
    return tables.change_tables(data)


@login_required
@require_GET
def outcomes_page(request: HttpRequest) -> HttpResponse:
    form, filters, source = _filters(request)
    data = selectors.outcomes(filters=filters, source=source)
    return render(
        request,
        "metrics/outcomes.html",
        {
            "form": form,
            "filters": filters,
            "data": data,
            "tables": tables.outcome_tables(data),
            "charts": ["restore-trend", "backlog"],
            "query": filters.query_string() + f"&source={source}",
            "tab": "outcomes",
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


@login_required
@require_GET
def changes_page(request: HttpRequest) -> HttpResponse:
    form, filters, _ = _filters(request)
    data = change_outcomes.changes(filters=filters)
    return render(
        request,
        "metrics/changes.html",
        {
            "form": form,
            "filters": filters,
            "data": data,
            "tables": tables.change_tables(data),
            "charts": ["change-trend"],
            "query": filters.query_string(),
            "tab": "changes",
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


def _sourced_page(request: HttpRequest, kind: str, template: str, charts_: list[str]) -> Any:
    form, filters, source = _filters(request)
    data = _compute(kind, filters, source)
    return render(
        request,
        template,
        {
            "form": form,
            "filters": filters,
            "data": data,
            "tables": _tables(kind, data),
            "charts": charts_,
            "query": filters.query_string() + f"&source={source}",
            "tab": kind,
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


@login_required
@require_GET
def sla_page(request: HttpRequest) -> HttpResponse:
    return _sourced_page(request, "sla", "metrics/sla.html", ["sla-by-priority"])


@login_required
@require_GET
def side_by_side_page(request: HttpRequest) -> HttpResponse:
    return _sourced_page(request, "side-by-side", "metrics/side_by_side.html", ["side-by-side"])


@login_required
@require_GET
def exceptions_page(request: HttpRequest) -> HttpResponse:
    form, filters, source = _filters(request)
    data = _compute("exceptions", filters, source)
    return render(
        request,
        "metrics/exceptions.html",
        {
            "form": form,
            "filters": filters,
            "data": data["exceptions"],
            "fairness": data["fairness"],
            "tables": _tables("exceptions", data),
            "query": filters.query_string() + f"&source={source}",
            "tab": "exceptions",
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


@login_required
@require_GET
def service_review(request: HttpRequest) -> HttpResponse:
    form, filters, source = _filters(request)
    service = (
        BusinessService.objects.filter(pk=filters.service_id).first()
        if filters.service_id
        else None
    )
    # brief: the review shows neither trends, repeats nor the SLA distributions
    outcomes = selectors.outcomes(filters=filters, source=source, brief=True)
    changes = change_outcomes.changes(filters=filters)
    sla_figures = sla(filters=filters, source=source, brief=True)
    return render(
        request,
        "metrics/review.html",
        {
            "form": form,
            "filters": filters,
            "service": service,
            "outcomes": outcomes,
            "changes": changes,
            "outcome_tables": [
                t
                for t in tables.outcome_tables(outcomes)
                if t.slug in ("restore", "rates", "impact", "waiting", "backlog")
            ],
            "sla_tables": [
                t for t in sla_tables.sla_tables(sla_figures) if t.slug == "sla-compliance"
            ],
            "change_tables": [
                t
                for t in tables.change_tables(changes)
                if t.slug in ("change-rates", "change-times")
            ],
        },
    )


@login_required
@require_GET
def chart(request: HttpRequest, name: str) -> HttpResponse:
    if name not in charts.CHARTS:
        raise Http404("No such chart.")
    _, filters, source = _filters(request)
    kind, draw = charts.CHARTS[name]
    response = HttpResponse(draw(_compute(kind, filters, source)), content_type="image/svg+xml")
    response["Content-Security-Policy"] = CHART_CSP
    return response


EXPORTS = {
    **dict.fromkeys(tables.OUTCOME_TABLES, "outcomes"),
    **dict.fromkeys(tables.CHANGE_TABLES, "changes"),
    **dict.fromkeys(tables.EXCEPTION_TABLES, "exceptions"),
    **dict.fromkeys(sla_tables.SLA_TABLES, "sla"),
    **dict.fromkeys(sla_tables.SIDE_BY_SIDE_TABLES, "side-by-side"),
}


@login_required
@require_GET
def export_csv(request: HttpRequest, name: str) -> HttpResponse:
    kind = EXPORTS.get(name)
    if kind is None:
        raise Http404("No such table.")
    _, filters, source = _filters(request)
    data = _compute(kind, filters, source)
    built = _tables(kind, data)
    table = next(t for t in built if t.slug == name)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{filters.start_date:%Y%m%d}-{filters.end_date:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["# " + table.title, f"{filters.start_date} to {filters.end_date}", filters.tz])
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_safe_cell(c) for c in row])
    return response


def _safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return (
        "'" + text
        if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text)
        else value
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
