"""Charts rendered on the server as SVG (pygal), from the already-aggregated figures. No script
(``js=[]``: nothing is loaded from elsewhere); each chart is shown with its numbers in a
table beside it, so the page is complete without the picture."""

from __future__ import annotations

import re
from typing import Any

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#111827",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309"),
    font_family="system-ui, sans-serif",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
)


SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _svg(chart: Any) -> str:
    """The SVG without pygal's configuration script (nothing runs in the picture)."""
    return SCRIPT.sub("", str(chart.render()))


def _config(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "style": STYLE,
        "js": [],
        "width": 600,
        "height": 340,
        "explicit_size": True,
        "disable_xml_declaration": True,
        "show_legend": True,
        "legend_at_bottom": True,
        "print_values": False,
        "x_label_rotation": 30,
    }


def restore_trend(data: dict[str, Any]) -> str:
    chart = pygal.Line(**_config("Time to restore (hours) by period"))
    chart.x_labels = [t["bucket"] for t in data["trend"]]
    chart.add("Median", [t["p50_hours"] for t in data["trend"]])
    chart.add("90th percentile", [t["p90_hours"] for t in data["trend"]])
    return _svg(chart)


def backlog_ages(data: dict[str, Any]) -> str:
    chart = pygal.Bar(**_config("Open incidents by age"))
    rows = data["backlog"]["by_age"]
    chart.x_labels = [r["age"].replace("_", " ") for r in rows]
    chart.add("Open", [r["open"] for r in rows])
    return _svg(chart)


def change_trend(data: dict[str, Any]) -> str:
    chart = pygal.Bar(**_config("Changes implemented and failed by period"))
    chart.x_labels = [t["bucket"] for t in data["trend"]]
    chart.add("Implemented", [t["implemented"] for t in data["trend"]])
    chart.add("Failed", [t["change_failure_rate"]["numerator"] for t in data["trend"]])
    return _svg(chart)


def _percent(rate: dict[str, Any]) -> float | None:
    return None if rate["value"] is None else round(rate["value"] * 100, 1)


def sla_by_priority(data: dict[str, Any]) -> str:
    chart = pygal.Bar(**_config("Resolution compliance (%) by priority"), range=(0, 100))
    priorities = sorted(
        {p["priority"] for basis in ("matrix", "effective") for p in data[basis]["by_priority"]}
    )
    chart.x_labels = [f"P{p}" for p in priorities]
    for basis, label in (("matrix", "Matrix priority"), ("effective", "Effective priority")):
        by = {p["priority"]: p["resolution"] for p in data[basis]["by_priority"]}
        chart.add(label, [_percent(by[p]) if p in by else None for p in priorities])
    return _svg(chart)


def side_by_side(data: dict[str, Any]) -> str:
    chart = pygal.Bar(**_config("SLA compliance and satisfied customers (%)"), range=(0, 100))
    chart.x_labels = [s["service"] for s in data["services"]]
    chart.add("SLA compliance", [_percent(s["sla_compliance"]) for s in data["services"]])
    chart.add("Satisfied", [_percent(s["satisfied"]) for s in data["services"]])
    return _svg(chart)


CHARTS = {
    "sla-by-priority": ("sla", sla_by_priority),
    "side-by-side": ("side-by-side", side_by_side),
    "restore-trend": ("outcomes", restore_trend),
    "backlog": ("outcomes", backlog_ages),
    "change-trend": ("changes", change_trend),
}
