"""The scenario's chart as a plain JSON-able plotly figure: a heatmap of the share of each
material's pooled demand left uncovered per quarter. Built from what the reader may see: a
hidden cell is an empty square. Shares, not tonnes, so materials stand side by side without
adding tonnes of different materials; the table beside it holds the exact figures."""

from __future__ import annotations

from rohstoff.core.formatting import plotly_separators


def uncovered_heatmap(result) -> dict:
    rows = result.materials
    x = [str(q) for q in result.quarters]
    y = [m.material.name for m in rows]
    z = [
        [
            None if c.uncovered_share is None else round(float(c.uncovered_share) * 100, 1)
            for c in m.cells
        ]
        for m in rows
    ]
    height = max(220, 60 + 34 * len(rows))
    return {
        "data": [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": z,
                "zmin": 0,
                "zmax": 100,
                "colorscale": [[0, "#f3f6f9"], [0.5, "#e4a13a"], [1, "#9b1c1c"]],
                "hoverongaps": False,
                "xgap": 2,
                "ygap": 2,
                "showscale": False,
                "hovertemplate": "%{y}<br>%{x}: %{z:,.1f} %<extra></extra>",
            }
        ],
        "layout": {
            "separators": plotly_separators(),
            "height": height,
            "margin": {"l": 170, "r": 20, "t": 16, "b": 60},
            "font": {
                "family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif",
                "size": 12,
                "color": "#17212f",
            },
            "yaxis": {"autorange": "reversed", "automargin": True},
            "xaxis": {"type": "category", "automargin": True},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
        },
    }
