"""What every plotly chart shares: one colour per material, the neutral series colours, the
base layout (font, the reader's separators) and the options each figure is drawn with.

A material has the same colour on every page and in every chart, decided by the material itself
(its id), never by its place in a chart's list of traces. The palette is Paul Tol's "muted"
scheme, made to stay distinguishable for the common forms of colour blindness. See
docs/charts.md.
"""

from __future__ import annotations

from .formatting import plotly_separators

# Paul Tol's "muted" qualitative scheme, in his order (neighbours differ most).
MATERIAL_PALETTE = (
    "#332288",  # indigo
    "#88ccee",  # cyan
    "#44aa99",  # teal
    "#117733",  # green
    "#999933",  # olive
    "#ddcc77",  # sand
    "#cc6677",  # rose
    "#882255",  # wine
    "#aa4499",  # purple
)
# Series that are not a material: the reader's own firm, contracted supply, hidden cells.
OWN = "#4a5563"  # slate: the reader's firm, beside the pool in its material's colour
CONTRACTED = "#4a5563"
HIDDEN = "#6b4fa0"  # the purple of the "hidden" badge (--c-hidden)
GRID = "#e4e9ef"
INK = "#17212f"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"
# Coverage from 0 to 100 %: cividis, a sequential scale readable with every common colour vision
# deficiency and in grey print (dark blue = little covered, yellow = fully covered). The key
# below the heat map (.coverage-key in static/css/charts.css) draws the same stops.
CIVIDIS = (
    "#00224e",
    "#123570",
    "#3b496c",
    "#575d6d",
    "#707173",
    "#8a8678",
    "#a59c74",
    "#c3b369",
    "#e1cc55",
    "#fee838",
)
COVERAGE_SCALE = [[i / (len(CIVIDIS) - 1), colour] for i, colour in enumerate(CIVIDIS)]


def material_colour(material) -> str:
    """The colour of ``material`` (a Material or its id) in every chart. Materials are numbered
    as they enter the catalogue, so materials added together get different colours; two
    materials share a colour only when their ids are a palette's length apart."""
    pk = material if isinstance(material, int) else material.pk
    return MATERIAL_PALETTE[(pk - 1) % len(MATERIAL_PALETTE)]


def tint(colour: str, alpha: float) -> str:
    """``colour`` (#rrggbb) as a translucent rgba(): the lighter shade of a material's colour
    for a second series of the same material (indicative demand)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def base_layout(**extra) -> dict:
    """The layout every chart starts from: the reader's decimal mark and thousands separator
    for axes and tooltips, the page's font, white background."""
    layout = {
        "separators": plotly_separators(),
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"namelength": -1},
    }
    layout.update(extra)
    return layout
