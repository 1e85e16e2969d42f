"""The charts' shared rules (docs/charts.md): one colour per material from a colour-blind-safe
palette, decided by the material and not by its place in a chart; the reader's separators in
every layout; the heat map's key drawn from the same stops; the map stylesheet plotly.js would
inject, found in the installed script."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from rohstoff.core import charts
from rohstoff.core.staticfinders import PLOTLY_JS, maplibre_style_id, maplibre_style_id_in


def test_a_material_has_one_colour_whatever_else_is_drawn():
    lithium, terbium = SimpleNamespace(pk=2), SimpleNamespace(pk=7)
    alone = charts.material_colour(lithium)
    beside = [charts.material_colour(m) for m in (terbium, lithium)]
    assert beside[1] == alone == charts.material_colour(2)  # an id or the object
    assert charts.material_colour(terbium) != alone


def test_materials_added_together_get_different_colours_from_the_palette():
    first = [charts.material_colour(pk) for pk in range(1, len(charts.MATERIAL_PALETTE) + 1)]
    assert len(set(first)) == len(charts.MATERIAL_PALETTE)
    assert set(first) == set(charts.MATERIAL_PALETTE)
    assert charts.material_colour(1 + len(charts.MATERIAL_PALETTE)) == first[0]


def test_tint_is_the_same_colour_lighter():
    assert charts.tint("#332288", 0.3) == "rgba(51,34,136,0.3)"


@pytest.mark.parametrize(("language", "separators"), [("de", ",."), ("en", ".,")])
def test_every_layout_carries_the_readers_separators(language, separators):
    with translation.override(language):
        layout = charts.base_layout(height=300)
    assert layout["separators"] == separators and layout["height"] == 300


def test_the_coverage_key_draws_the_heat_maps_stops():
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "charts.css").read_text()
    key = re.search(r"\.coverage-key__bar \{[^}]*linear-gradient\(to right, ([^)]*)\)", css)
    assert key and [c.strip() for c in key.group(1).split(",")] == list(charts.CIVIDIS)
    assert [stop[1] for stop in charts.COVERAGE_SCALE] == list(charts.CIVIDIS)
    assert charts.COVERAGE_SCALE[0][0] == 0 and charts.COVERAGE_SCALE[-1][0] == 1


def test_the_map_stylesheet_marker_names_what_plotly_would_inject():
    source = PLOTLY_JS.read_text(encoding="utf-8")
    marker = maplibre_style_id()
    assert f'document.getElementById("{marker}")' in source
    html = Template("{% load rohstoff_tags %}{% plotly_map_style_id %}").render(Context())
    assert html == marker
    with pytest.raises(ValueError):
        maplibre_style_id_in("no stylesheet here")
