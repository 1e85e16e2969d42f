"""Pages of the offtake book's dashboard and the aggregate overview. Thin: parse, call a selector or
service, render."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_countries import countries

from rohstoff.core.access import CONTRACT_READERS, MINISTRY, allow
from rohstoff.core.charts import COVERAGE_SCALE, base_layout, material_colour
from rohstoff.core.formatting import plotly_tonnes
from rohstoff.core.language import reader_language
from rohstoff.core.periods import Quarter
from tradinghouse import selectors as position_selectors

from . import selectors


@allow(CONTRACT_READERS)
@require_GET
def dashboard(request):
    """Coverage per material and quarter (from the round's current positions) and the book of
    contracts (volume by counterparty and by country), each chart with its table."""
    rounds = list(
        position_selectors.rounds_visible_to(request.user)
        .filter(position_sets__is_current=True)
        .order_by("-opens_at")
        .distinct()
    )
    selected = None
    wanted = request.GET.get("round", "")
    for r in rounds:
        if str(r.pk) == wanted:
            selected = r
    if selected is None and rounds:
        selected = rounds[0]
    cells = []
    if selected is not None:
        # Through the positions selector: each cell as this reader may see it (disclosure).
        cells = position_selectors.position_cells(user=request.user, round=selected)
    materials = {}
    for cell in cells:
        materials.setdefault(cell.material.pk, cell.material)
    quarters = sorted({c.quarter for c in cells})
    by_cell = {(c.material.pk, c.quarter): c for c in cells}
    coverage_chart = _coverage_heatmap(list(materials.values()), quarters, by_cell)
    by_counterparty = selectors.book_by_counterparty(user=request.user)
    by_country = selectors.book_by_country(user=request.user)
    for row in by_country:
        row["country_name"] = (
            countries.name(row["contract__counterparty__country"])
            or row["contract__counterparty__country"]
        )
    for row in [*by_counterparty, *by_country]:
        row["material_name"] = _material_label(row)
    book_chart = _stacked_bar(by_counterparty, "contract__counterparty__name", horizontal=True)
    country_chart = _stacked_bar(by_country, "country_name")
    return render(
        request,
        "contracts/dashboard.html",
        {
            "rounds": rounds,
            "selected": selected,
            "cells": cells,
            "coverage_chart": coverage_chart,
            "by_counterparty": by_counterparty,
            "by_country": by_country,
            "book_chart": book_chart,
            "country_chart": country_chart,
        },
    )


def _coverage_heatmap(materials, quarters, by_cell) -> dict:
    """Coverage per material (rows) and quarter (columns). A one-pixel gap between cells makes
    plotly draw the map at full resolution (crisp) without the inline style its scaled-down
    drawing needs, which the CSP refuses; for the same reason the page draws the colour key,
    not plotly's colour bar (docs/charts.md)."""
    return {
        "data": [
            {
                "type": "heatmap",
                "x": [str(Quarter.from_index(q)) for q in quarters],
                "y": [m.name for m in materials],
                "z": [
                    [_coverage_value(by_cell.get((m.pk, q))) for q in quarters] for m in materials
                ],
                "zmin": 0,
                "zmax": 1,
                "colorscale": COVERAGE_SCALE,
                "showscale": False,
                "xgap": 1,
                "ygap": 1,
                "hovertemplate": "%{y} %{x}: %{z:.0%}<extra></extra>",
            }
        ],
        "layout": base_layout(
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            height=120 + 40 * max(len(materials), 3),
            yaxis={"automargin": True, "autorange": "reversed"},
            xaxis={"automargin": True, "tickangle": -60},
        ),
    }


def _coverage_value(cell):
    # A chart coordinate, not a quantity: plotly needs a JSON number.
    return float(cell.coverage) if cell is not None and cell.coverage is not None else None


def _material_label(row) -> str:
    """A material's name in the reader's language, from a row of ``values()`` (as
    ``Material.name`` reads it from the object)."""
    language = "de" if reader_language() == "de" else "en"
    return row[f"contract__material__name_{language}"]


def _stacked_bar(rows, key, *, horizontal: bool = False) -> dict:
    """One group of bars per counterparty (or country), one trace per material: no total across
    materials."""
    categories = sorted({str(r[key]) for r in rows})
    cat_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
    traces = {}
    for r in rows:
        trace = traces.setdefault(
            r["contract__material__code"],
            {
                "type": "bar",
                "name": _material_label(r),
                "marker": {"color": material_colour(r["contract__material_id"])},
                "orientation": "h" if horizontal else "v",
                cat_axis: categories,
                value_axis: [0.0] * len(categories),
                "hovertemplate": "%{"
                + cat_axis
                + "}: "
                + plotly_tonnes(value_axis)
                + "<extra>%{fullData.name}</extra>",
            },
        )
        trace[value_axis][categories.index(str(r[key]))] = float(r["tonnes"])
    title = {"title": {"text": _("tonnes scheduled")}, "automargin": True}
    return {
        "data": list(traces.values()),
        "layout": base_layout(
            barmode="group",
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            height=max(320, 120 + 60 * len(categories)) if horizontal else 360,
            legend={"orientation": "h", "y": -0.25},
            **{f"{value_axis}axis": title, f"{cat_axis}axis": {"automargin": True}},
        ),
    }


@allow(MINISTRY | CONTRACT_READERS)
@require_GET
def overview(request):
    """Aggregates of the offtake book for the ministry (and everyone who reads contracts):
    contracted tonnes per material and quarter, and per material and supplier country. No
    contract, counterparty, price or firm."""
    per_quarter = selectors.book_by_material_quarter(user=request.user)
    per_country = selectors.book_by_country(user=request.user)
    for row in per_country:
        row["country_name"] = (
            countries.name(row["contract__counterparty__country"])
            or row["contract__counterparty__country"]
        )
        row["material_name"] = _material_label(row)
    years = defaultdict(lambda: defaultdict(Decimal))
    names, colours = {}, {}
    for row in per_quarter:
        code = row["contract__material__code"]
        names[code] = _material_label(row)
        colours[code] = material_colour(row["contract__material_id"])
        years[code][Quarter.from_index(row["quarter"]).year] += row["tonnes"]
    all_years = sorted({y for v in years.values() for y in v})
    table = [
        # (year, tonnes): on a phone each year names its figure in the material's card
        {"code": code, "name": names[code], "values": [(y, years[code].get(y)) for y in all_years]}
        for code in years
    ]
    chart = {
        "data": [
            {
                "type": "bar",
                "name": names[code],
                "marker": {"color": colours[code]},
                "x": [str(y) for y in all_years],
                "y": [float(years[code].get(y, 0)) for y in all_years],
                "hovertemplate": "%{x}: " + plotly_tonnes("y") + "<extra>%{fullData.name}</extra>",
            }
            for code in years
        ],
        "layout": base_layout(
            barmode="group",
            margin={"l": 60, "r": 20, "t": 10, "b": 60},
            height=360,
            yaxis={"title": {"text": _("tonnes contracted")}},
            legend={"orientation": "h", "y": -0.2},
        ),
    }
    return render(
        request,
        "contracts/overview.html",
        {
            "years": all_years,
            "table": table,
            "chart": chart,
            "per_country": per_country,
            "country_chart": _stacked_bar(per_country, "country_name"),
            "allocated": [
                {**row, "name": _material_label(row)}
                for row in selectors.confirmed_allocations_by_material(user=request.user)
            ],
        },
    )
