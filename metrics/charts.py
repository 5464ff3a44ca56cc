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


CHARTS = {
    "restore-trend": ("outcomes", restore_trend),
    "backlog": ("outcomes", backlog_ages),
    "change-trend": ("changes", change_trend),
}
