"""The call dashboard's charts (docs/charts.md): offered vs demanded vs matched tonnes per
material and quarter, landed price ranges, and the country mix. Every chart starts from
``rohstoff.core.charts.base_layout`` and colours materials with ``material_colour``; each has its
data table beside it on the page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from rohstoff.core.charts import base_layout, material_colour, tint
from rohstoff.core.formatting import plotly_tonnes


def _axis(cells) -> list[list[str]]:
    """A two-level category axis: quarters under their material (plotly's multicategory), so
    long material names are written once, not under every bar."""
    return [[c.material.name for c in cells], [c.period for c in cells]]


def volumes(cells) -> dict:
    """Grouped bars per cell: demanded, offered, matched (only cells the reader may see), for
    the materials that have offers (all of them when none has); the table lists every cell."""
    offered = {c.material.pk for c in cells if c.offered_t or c.matched_t}
    cells = [c for c in cells if c.material.pk in offered] if offered else list(cells)
    labels = _axis(cells)
    colours = [material_colour(c.material) for c in cells]
    series = [
        (_("demanded"), [float(c.demand_t) for c in cells], [tint(x, 0.35) for x in colours]),
        (_("offered"), [float(c.offered_t) for c in cells], [tint(x, 0.7) for x in colours]),
        (_("matched"), [float(c.matched_t) for c in cells], colours),
    ]
    return {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": labels,
                "y": values,
                "marker": {"color": colour, "line": {"color": colours, "width": 1}},
                "hovertemplate": "%{x}: " + plotly_tonnes() + "<extra>%{fullData.name}</extra>",
            }
            for name, values, colour in series
        ],
        "layout": base_layout(
            barmode="group",
            height=420,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            legend={"orientation": "h", "x": 0, "y": 1.12},
            yaxis={"title": {"text": _("tonnes")}, "automargin": True},
            xaxis={"automargin": True},
        ),
    }


def prices(cells) -> dict:
    """Per cell the range of landed prices (min to max) with the median marked."""
    priced = [c for c in cells if c.price_min is not None]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("median"),
                "x": _axis(priced),
                "y": [float(c.price_median) for c in priced],
                "marker": {"color": [material_colour(c.material) for c in priced], "size": 10},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [float(c.price_max - c.price_median) for c in priced],
                    "arrayminus": [float(c.price_median - c.price_min) for c in priced],
                    "color": "#555555",
                },
                "hovertemplate": "%{x}: %{y:,.2f} EUR/t<extra></extra>",
            }
        ],
        "layout": base_layout(
            height=340,
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            yaxis={"title": {"text": _("EUR per tonne, landed")}, "automargin": True},
            xaxis={"automargin": True},
            showlegend=False,
        ),
    }


def countries(mix) -> dict:
    """Offered tonnes per origin country, one trace per material (never added across)."""
    codes = sorted({code for _m, code, _t in mix})
    traces: dict[int, dict] = {}
    for material, code, tonnes in mix:
        trace = traces.setdefault(
            material.pk,
            {
                "type": "bar",
                "name": material.name,
                "x": codes,
                "y": [0.0] * len(codes),
                "marker": {"color": material_colour(material)},
                "hovertemplate": "%{x}: " + plotly_tonnes() + "<extra>%{fullData.name}</extra>",
            },
        )
        trace["y"][codes.index(code)] = float(tonnes)
    return {
        "data": list(traces.values()),
        "layout": base_layout(
            barmode="group",
            height=320,
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            legend={"orientation": "h", "y": -0.3},
            yaxis={"title": {"text": _("tonnes offered")}, "automargin": True},
        ),
    }
