"""Apache ECharts options built on the server: a page puts one in `data-chart` and
`static/js/taf.js` draws it (ECharts itself is vendored under `static/vendor`)."""

from __future__ import annotations

from typing import Any

PALETTE = ["#2f6fde", "#1f9d74", "#e0a030", "#d9534f", "#7a5bd6"]


def bar_chart(labels: list[str], values: list[float], *, unit: str = "") -> dict[str, Any]:
    """A plain bar chart with a tooltip, labels along the bottom and values on the left."""
    return {
        "animation": False,  # drawn at once: a status page, and screenshots show the figures
        "color": PALETTE,
        "grid": {"left": 40, "right": 16, "top": 16, "bottom": 28},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels, "axisTick": {"alignWithLabel": True}},
        "yAxis": {"type": "value", "minInterval": 1, "name": unit, "nameGap": 8},
        "series": [{"type": "bar", "data": values, "barMaxWidth": 28, "name": unit}],
    }


def speed_chart(labels: list[str], series: dict[str, list[float | None]], ratio: list[float | None], *,
                unit: str) -> dict[str, Any]:
    """Speeds per finished job (bars, one series per kind of job, in `unit`), and each backup's
    compression (bytes on tape as a share of bytes read, %, a line on the right axis)."""
    return {
        "animation": False,
        "color": PALETTE,
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 28},
        "legend": {"top": 0, "itemWidth": 14, "itemHeight": 10},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels, "axisTick": {"alignWithLabel": True}},
        "yAxis": [{"type": "value", "name": unit, "nameGap": 8},
                  {"type": "value", "name": "%", "nameGap": 8, "min": 0, "max": 100, "splitLine": {"show": False}}],
        "series": [
            *({"type": "bar", "name": name, "data": values, "barMaxWidth": 22} for name, values in series.items()),
            {"type": "line", "name": "压缩后占比", "yAxisIndex": 1, "data": ratio, "connectNulls": True,
             "symbolSize": 6, "color": PALETTE[2]},
        ],
    }
