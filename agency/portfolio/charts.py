"""Plotly figures of the portfolio page, as plain JSON-able dicts: committed and disbursed EUR per
value of one dimension. Floats appear only here, for drawing; the table beside each chart
carries the exact amounts."""

from __future__ import annotations

from django.utils.translation import pgettext

from rohstoff.core.formatting import NBSP, plotly_separators

COMMITTED = "#123d63"
DISBURSED = "#b7791f"


def totals_figure(totals) -> dict:
    labels = [t.label for t in totals]
    hover = "%{x}: %{y:,.0f}" + NBSP + "EUR<extra>%{fullData.name}</extra>"
    return {
        "data": [
            {
                "type": "bar",
                "name": pgettext("portfolio amount", "committed"),
                "x": labels,
                "y": [float(t.committed_eur) for t in totals],
                "marker": {"color": COMMITTED},
                "hovertemplate": hover,
            },
            {
                "type": "bar",
                "name": pgettext("portfolio amount", "disbursed"),
                "x": labels,
                "y": [float(t.disbursed_eur) for t in totals],
                "marker": {"color": DISBURSED},
                "hovertemplate": hover,
            },
        ],
        "layout": {
            "separators": plotly_separators(),
            "barmode": "group",
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": 340,
            "yaxis": {"title": {"text": "EUR"}, "automargin": True, "rangemode": "tozero"},
            "xaxis": {"automargin": True},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }
