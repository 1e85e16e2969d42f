"""Plotly figures of the supply pages, as JSON-able dicts drawn by tradinghouse/charts.js. Floats
only here, for drawing; the table beside each chart holds the exact figures."""

from __future__ import annotations

from django.utils.translation import gettext as _

from rohstoff.core.formatting import plotly_separators

WORLD = "#123d63"
CONTRACTED = "#b7791f"
STAGES = ("#0f6b61", "#123d63", "#6b4fa0", "#b7791f")


def _num(value):
    return None if value is None else float(value)


def _layout(height: int, **extra) -> dict:
    layout = {
        "separators": plotly_separators(),
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "height": height,
        "margin": {"l": 16, "r": 16, "t": 16, "b": 40},
        "yaxis": {"automargin": True},
        "legend": {"orientation": "h", "y": 1, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"namelength": -1},
    }
    layout.update(extra)
    return layout


def hhi_figure(rows: list[dict]) -> dict:
    """World against contracted HHI per material, horizontal bars."""
    rows = list(reversed(rows))
    names = [r["name"] for r in rows]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("World production"),
                "y": names,
                "x": [_num(r["world_hhi"]) for r in rows],
                "marker": {"color": WORLD},
                "hovertemplate": "%{y}: %{x:,.0f}<extra></extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Contracted supply"),
                "y": names,
                "x": [_num(r["contracted_hhi"]) for r in rows],
                "marker": {"color": CONTRACTED},
                "hovertemplate": "%{y}: %{x:,.0f}<extra></extra>",
            },
        ],
        "layout": _layout(
            80 + 34 * len(rows),
            barmode="group",
            xaxis={"title": {"text": _("HHI (0 to 10,000)")}, "range": [0, 10000]},
        ),
    }


def shares_figure(shares, label: str) -> dict:
    """Country shares in percent, largest on top."""
    shares = list(reversed(shares))
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": label,
                "y": [name for name, _p in shares],
                "x": [_num(p) for _n, p in shares],
                "marker": {"color": WORLD},
                "hovertemplate": "%{y}: %{x:,.2f} %<extra></extra>",
            }
        ],
        "layout": _layout(
            70 + 26 * len(shares),
            showlegend=False,
            xaxis={"title": {"text": _("Share (%)")}, "range": [0, 100]},
        ),
    }


def crma_figure(rows: list[dict]) -> dict:
    """The four CRMA shares per strategic material, grouped bars."""
    rows = [r for r in rows if r["third_country_share"] is not None]
    rows.reverse()
    names = [r["name"] for r in rows]
    series = [
        ("extracted", _("Extracted in the EU")),
        ("processed", _("Processed in the EU")),
        ("recycled", _("Recycled in the EU")),
        ("third_country_share", _("Largest third country")),
    ]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": label,
                "y": names,
                "x": [_num(r[key]) for r in rows],
                "marker": {"color": color},
                "hovertemplate": "%{y}: %{x:,.1f} %<extra></extra>",
            }
            for (key, label), color in zip(series, STAGES, strict=True)
        ],
        "layout": _layout(
            90 + 70 * max(len(rows), 1),
            barmode="group",
            xaxis={"title": {"text": _("Share of contracted supply (%)")}, "range": [0, 100]},
        ),
    }


def coverage_figure(rows: list[dict]) -> dict:
    """Coverage of disclosed demand by contracts per material, in percent."""
    rows = [r for r in rows if r["coverage"] is not None]
    rows.reverse()
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Coverage"),
                "y": [r["material"].name for r in rows],
                "x": [float(r["coverage"] * 100) for r in rows],
                "marker": {"color": WORLD},
                "hovertemplate": "%{y}: %{x:,.1f} %<extra></extra>",
            }
        ],
        "layout": _layout(
            70 + 30 * max(len(rows), 1),
            showlegend=False,
            xaxis={"title": {"text": _("Coverage by contracts (%)")}, "rangemode": "tozero"},
        ),
    }
