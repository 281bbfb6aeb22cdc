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
