"""Plotly figures of the position dashboards, as plain JSON-able dicts.

Figures are built from what the reader may see (``CellView``): a hidden cell has no figures, so
for members and the ministry it never reaches a chart, a tooltip or a title. Floats appear only
here, for drawing; the data table beside each chart carries the exact decimals. Tonnes of
different materials are never added up: each material gets its own panel and axis, drawn in
the material's one colour (``rohstoff.core.charts``, docs/charts.md).
"""

from __future__ import annotations

from collections import OrderedDict

from django.utils.translation import gettext as _

from rohstoff.core.charts import (
    CONTRACTED,
    GRID,
    HIDDEN,
    OWN,
    base_layout,
    material_colour,
    tint,
)
from rohstoff.core.formatting import plotly_tonnes
from rohstoff.core.periods import Quarter

PANEL_HEIGHT = 100  # pixels of one material's bars: six materials fit one screen
# Tooltip figures: grouped, at most 3 decimals, no trailing zeros; the layout's separators
# write them in the reader's language.
Y_TONNES = plotly_tonnes("y")
X_TONNES = plotly_tonnes("x")


def _num(value):
    return None if value is None else float(value)


def _layout(**extra) -> dict:
    defaults = {
        "margin": {"l": 70, "r": 16, "t": 24, "b": 40},
        "legend": {"orientation": "h", "y": -0.08, "yanchor": "top"},
    }
    return base_layout(**{**defaults, **extra})


def _by_material(cells) -> OrderedDict:
    rows: OrderedDict = OrderedDict()
    for cell in cells:
        rows.setdefault(cell.material.pk, (cell.material, []))[1].append(cell)
    return rows


def _panels(rows: OrderedDict, quarters: list[str]) -> tuple[dict, list]:
    """Layout of one panel (own y-axis) per material, stacked top to bottom, each with its
    material's name above it and room below for the quarter labels."""
    n = max(len(rows), 1)
    title_px, ticks_px, top_px, bottom_px = 26, 58, 10, 40
    plot_px = n * (PANEL_HEIGHT + title_px) + (n - 1) * ticks_px
    layout = _layout(
        height=plot_px + top_px + bottom_px + ticks_px,
        margin={"l": 70, "r": 16, "t": top_px, "b": bottom_px + ticks_px},
        barmode="stack",
        legend={"orientation": "h", "y": 1, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    annotations = []
    y = plot_px  # pixels from the bottom of the plot area, counting down
    for i, (material, _cells) in enumerate(rows.values(), start=1):
        suffix = "" if i == 1 else str(i)
        top = y - title_px
        bottom = top - PANEL_HEIGHT
        y = bottom - ticks_px
        layout[f"yaxis{suffix}"] = {
            "title": {"text": "t"},
            "rangemode": "tozero",
            "domain": [max(bottom / plot_px, 0), top / plot_px],
            "gridcolor": GRID,
            "separatethousands": True,
        }
        layout[f"xaxis{suffix}"] = {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": quarters,
            "anchor": f"y{suffix}",
            "tickangle": -45,
            "automargin": False,
        }
        annotations.append(
            {
                # plotly.js would style <b> with an inline style, which the CSP forbids
                "text": material.name,
                "font": {"size": 13, "weight": 600},
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": (top + 4) / plot_px,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
    layout["annotations"] = annotations
    return layout, list(rows.values())


def demand_figure(cells, *, trustee: bool) -> dict:
    """Demand by material and quarter, firm and indicative stacked. For the desk and agency,
    cells hidden from members are hatched; for members and the ministry they are absent, and a
    disclosed cell whose parts may not be shown is drawn as one undivided bar."""
    rows = _by_material(cells)
    quarters = sorted({c.quarter for c in cells})
    periods = [str(Quarter.from_index(q)) for q in quarters]
    layout, panels = _panels(rows, periods)
    data = []
    firm_label, indicative_label = _("firm"), _("indicative")
    unsplit_label = _("demand (split not disclosed)")
    hidden_note = _("hidden from members and ministry")
    for i, (material, mcells) in enumerate(panels, start=1):
        suffix = "" if i == 1 else str(i)
        x = [c.period for c in mcells]
        firm = [_num(c.demand_firm_t) for c in mcells]
        indicative = [_num(c.demand_indicative_t) for c in mcells]
        unsplit = [_num(c.demand_t) if c.visible and not c.parts_visible else None for c in mcells]
        pattern = [("/" if not c.disclosed else "") for c in mcells] if trustee else None
        text = [(hidden_note if not c.disclosed else "") for c in mcells] if trustee else None
        common = {
            "type": "bar",
            "x": x,
            "xaxis": f"x{suffix}",
            "yaxis": f"y{suffix}",
        }
        colour = material_colour(material)
        # Firm demand in the material's colour, indicative in a light shade of it (outlined,
        # so that light colours still show); the text above the chart says which is which.
        for name, values, marker in (
            (firm_label, firm, {"color": colour}),
            (
                indicative_label,
                indicative,
                {"color": tint(colour, 0.3), "line": {"color": colour, "width": 1}},
            ),
        ):
            trace = {
                **common,
                "name": name,
                "y": values,
                "marker": marker,
                "showlegend": False,
                "hovertemplate": f"{material.name} %{{x}}<br>{name}: {Y_TONNES}<extra></extra>",
            }
            if trustee:
                trace["marker"]["pattern"] = {"shape": pattern, "fgcolor": HIDDEN, "solidity": 0.35}
                trace["customdata"] = text
                trace["hovertemplate"] = (
                    f"{material.name} %{{x}}<br>{name}: {Y_TONNES}"
                    f"<br>%{{customdata}}<extra></extra>"
                )
            data.append(trace)
        if any(v is not None for v in unsplit):
            data.append(
                {
                    **common,
                    "name": unsplit_label,
                    "y": unsplit,
                    "marker": {"color": colour, "pattern": {"shape": ".", "solidity": 0.3}},
                    "showlegend": False,
                    "hovertemplate": f"{material.name} %{{x}}<br>{unsplit_label}: {Y_TONNES}<extra></extra>",
                }
            )
    return {"data": data, "layout": layout}


def member_figure(rows_by_cell) -> dict:
    """A member's own demand beside the disclosed pool, per material and quarter. A material
    without any disclosed cell gets no panel (the page names it in one sentence)."""
    shown = {r.cell.material.pk for r in rows_by_cell if r.cell.visible}
    rows_by_cell = [r for r in rows_by_cell if r.cell.material.pk in shown]
    cells = [r.cell for r in rows_by_cell]
    rows = _by_material(cells)
    own = {(r.cell.material.pk, r.cell.quarter): r.own_t for r in rows_by_cell}
    quarters = sorted({c.quarter for c in cells})
    layout, panels = _panels(rows, [str(Quarter.from_index(q)) for q in quarters])
    layout["barmode"] = "group"
    pool_label, own_label = _("pooled demand (disclosed)"), _("your firm")
    data = []
    for i, (material, mcells) in enumerate(panels, start=1):
        suffix = "" if i == 1 else str(i)
        x = [c.period for c in mcells]
        common = {
            "type": "bar",
            "x": x,
            "xaxis": f"x{suffix}",
            "yaxis": f"y{suffix}",
            "showlegend": i == 1,
        }
        data.append(
            {
                **common,
                "name": pool_label,
                "legendgroup": "pool",
                "y": [_num(c.demand_t) for c in mcells],
                "marker": {"color": material_colour(material)},
                "showlegend": False,
                "hovertemplate": f"{material.name} %{{x}}<br>{pool_label}: {Y_TONNES}<extra></extra>",
            }
        )
        data.append(
            {
                **common,
                "name": own_label,
                "legendgroup": "own",
                "y": [_num(own.get((material.pk, c.quarter))) for c in mcells],
                "marker": {"color": OWN},
                "hovertemplate": f"{material.name} %{{x}}<br>{own_label}: {Y_TONNES}<extra></extra>",
            }
        )
    return {"data": data, "layout": layout}


def coverage_figure(cells) -> dict:
    """Disclosed demand against contracted supply, per material and quarter (ministry)."""
    # A material without any disclosed cell would be an empty panel; the page names it.
    shown = {c.material.pk for c in cells if c.visible}
    cells = [c for c in cells if c.material.pk in shown]
    rows = _by_material(cells)
    quarters = sorted({c.quarter for c in cells})
    layout, panels = _panels(rows, [str(Quarter.from_index(q)) for q in quarters])
    layout["barmode"] = "group"
    demand_label, contracted_label = _("pooled demand"), _("contracted")
    direct_label, direct_in_legend = _("covered by members directly"), False
    data = []
    for i, (material, mcells) in enumerate(panels, start=1):
        suffix = "" if i == 1 else str(i)
        x = [c.period for c in mcells]
        common = {
            "type": "bar",
            "x": x,
            "xaxis": f"x{suffix}",
            "yaxis": f"y{suffix}",
            "showlegend": i == 1,
        }
        data.append(
            {
                **common,
                "name": demand_label,
                "legendgroup": "demand",
                "marker": {"color": material_colour(material)},
                "showlegend": False,
                "y": [_num(c.demand_t) for c in mcells],
                "hovertemplate": f"{material.name} %{{x}}<br>{demand_label}: {Y_TONNES}<extra></extra>",
            }
        )
        data.append(
            {
                **common,
                "name": contracted_label,
                "legendgroup": "contracted",
                "marker": {"color": CONTRACTED},
                "y": [_num(c.contracted_t) for c in mcells],
                "hovertemplate": f"{material.name} %{{x}}<br>{contracted_label}: {Y_TONNES}<extra></extra>",
            }
        )
        if any(c.covered_directly_t for c in mcells):
            # Only where disclosure control shows it (``present_cell``); a gap elsewhere.
            data.append(
                {
                    **common,
                    "name": direct_label,
                    "legendgroup": "direct",
                    "showlegend": not direct_in_legend,
                    "marker": {"color": CONTRACTED, "pattern": {"shape": "/"}},
                    "y": [_num(c.covered_directly_t) for c in mcells],
                    "hovertemplate": f"{material.name} %{{x}}<br>{direct_label}: {Y_TONNES}<extra></extra>",
                }
            )
            direct_in_legend = True
    return {"data": data, "layout": layout}


def top_open_figure(top_cells) -> dict:
    """The largest open positions (demand not yet contracted), largest on top."""
    # Material and quarter on two lines: the chart keeps its width on a phone.
    labels = [f"{c.material.name}<br>{c.period}" for c in top_cells]
    values = [_num(c.open_t) for c in top_cells]
    colours = [material_colour(c.material) for c in top_cells]
    # Hidden cells (only the desk and the agency see them) hatched in the "hidden" purple.
    hatch = [("" if c.disclosed else "/") for c in top_cells]
    layout = _layout(
        height=max(60 + 40 * len(top_cells), 220),
        margin={"l": 16, "r": 16, "t": 16, "b": 40},
        showlegend=False,
    )
    layout["yaxis"] = {"autorange": "reversed", "automargin": True, "type": "category"}
    layout["xaxis"] = {
        "title": {"text": _("open position (t)")},
        "rangemode": "tozero",
        "gridcolor": GRID,
        "separatethousands": True,
    }
    name = _("open position")
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": labels,
                "marker": {
                    "color": colours,
                    "pattern": {"shape": hatch, "fgcolor": HIDDEN, "solidity": 0.5},
                },
                "hovertemplate": f"%{{y}}<br>{name}: {X_TONNES}<extra></extra>",
            }
        ],
        "layout": layout,
    }
