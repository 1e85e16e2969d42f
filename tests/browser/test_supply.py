"""The ministry's dashboard in a real browser, in German: its supply sections render with their
charts (no CSP error), pass axe-core, and the briefing downloads as a PDF whose text holds the
disclosed figures and no hidden cell (docs/supply-security.md)."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.cards import card_problems, cards_on_a_phone, fold_state, unfold
from tests.browser.navigation import click_and_load
from tests.dashboards.test_role_home import published  # noqa: F401
from tests.industry.conftest import make_round, materials  # noqa: F401
from tests.supply.conftest import contract, reference, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ministry_opens_its_dashboard_and_downloads_the_briefing(
    page,
    live_server,
    browser_login,
    assert_accessible,
    ministry,
    world,  # noqa: F811
):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(ministry)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#supply-concentration-heading")).to_have_text("Versorgungskonzentration")
    expect(page.locator("#crma-heading")).to_have_text("CRMA-2030-Tracker")
    expect(page.locator('[data-chart="hhi-figure"] .main-svg').first).to_be_visible()
    expect(page.get_by_test_id("consortium-note")).to_contain_text("nicht die der EU")
    assert "4.321" not in page.content()
    assert_accessible(page, "ministry dashboard")

    click_and_load(page, page.get_by_role("link", name="Lagebild zum Ausdrucken (PDF)"))
    page.select_option("select[name=round]", str(world.pk))
    page.fill("input[name=as_of]", "2027-02-15")
    with page.expect_download() as download_info:
        page.get_by_test_id("briefing-download").click()
    body = Path(download_info.value.path()).read_bytes()
    text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    )
    assert "Lagebild Rohstoffversorgung" in text and "Runde Lagebild" in text
    assert "1.234 t" in text and "4.321" not in text
    assert not [e for e in errors if "Content Security Policy" in e], errors


# Each drawn chart whose box is taller than its figure: the room the stylesheet reserves before
# drawing (22rem) left a blank band under a lower chart (the coverage chart on a phone).
BLANK_UNDER_CHARTS = """() => [...document.querySelectorAll('[data-chart-drawn]')].flatMap(el => {
  const svg = el.querySelector('.main-svg');
  const blank = el.getBoundingClientRect().height - svg.getBoundingClientRect().height;
  return blank > 2 ? [`${el.dataset.chart}: ${Math.round(blank)} px blank`] : [];
})"""
CELLS_OFF_SCREEN = """() => [...document.querySelectorAll(
  '[data-testid=coverage-table] td, [data-testid=concentration-table] td, [data-testid=crma-table] td,'
  + ' [data-testid=crma-trend] td'
)].filter(td => td.getBoundingClientRect().right > window.innerWidth).map(td => td.textContent.trim())"""
ALL_DRAWN = """() => [...document.querySelectorAll('[data-chart]')]
  .filter(el => document.getElementById(el.dataset.chart))
  .every(el => el.hasAttribute('data-chart-drawn'))"""


def test_on_a_phone_a_bar_chart_names_each_material_above_its_bars(
    page,
    live_server,
    browser_login,
    assert_accessible,
    ministry,
    analyst,
    world,  # noqa: F811
):
    """At 390 px the concentration chart's names stand above their bars across the chart's
    width, and its axis title is whole (in a left margin the names left the bars a sliver and
    the title "HHI (0 bis 10.000)" was cut at the chart's edge); at 1366 px the names stay at
    the axis. At both widths no chart leaves a blank band under it; on a phone the tables under
    the charts are cards."""
    browser_login(ministry)
    chart = page.locator('[data-chart="hhi-figure"]')
    names = "el => [...el.querySelectorAll('.annotation-text')].map(t => t.textContent)"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    expect(chart).to_have_attribute("data-chart-drawn", "true")
    figure = page.evaluate("JSON.parse(document.getElementById('hhi-figure').textContent)")
    categories = figure["data"][0]["y"]
    assert sorted(chart.evaluate(names)) == sorted(categories)
    assert chart.locator(".ytick").count() == 0
    box, title = chart.bounding_box(), chart.locator(".xtitle").bounding_box()
    assert title["x"] >= box["x"] and title["x"] + title["width"] <= box["x"] + box["width"]
    bars = chart.locator(".nsewdrag").first.bounding_box()
    assert bars["width"] > 0.8 * box["width"]  # the bars get the chart's width
    page.wait_for_function(ALL_DRAWN)
    assert page.evaluate(BLANK_UNDER_CHARTS) == []
    # The 24 materials' concentration table is folded under its chart (as cards it pushed the
    # rest of the page 7,000 px down); its summary opens it.
    assert fold_state(page, "concentration-table") == {"open": False, "summary": True}
    unfold(page, "concentration-table")
    expect(page.get_by_test_id("concentration-table")).to_be_visible()
    # The tables under the charts are cards: each material's figures in sight, not cut at the
    # screen's edge (coverage, concentration, CRMA tracker).
    assert card_problems(page) == []
    assert page.evaluate(CELLS_OFF_SCREEN) == []
    concentration = page.locator("[data-testid=concentration-table] tbody tr")
    assert concentration.count() >= len(categories) > 0  # a material without HHI has no bar
    assert page.locator("[data-testid=crma-table] tbody tr").count() > 0
    assert_accessible(page, "ministry dashboard on a phone")
    # The rounds with positions, the materials and the CRMA trend per round are cards too (the
    # trend's six columns put every share beyond the screen's edge).
    for path in ("/positions/", "/materials/", "/supply/crma/"):
        page.goto(live_server.url + path)
        assert cards_on_a_phone(page) > 0, path
        assert_accessible(page, f"{path} on a phone")
    assert page.get_by_test_id("crma-trend").locator("tbody tr:not(.row-group)").count() > 0
    assert page.evaluate(CELLS_OFF_SCREEN) == []

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/")
    expect(chart).to_have_attribute("data-chart-drawn", "true")
    assert chart.evaluate(names) == []
    assert chart.locator(".ytick").count() == len(categories)
    # Beside the chart on a wide screen the table is open, with nothing to unfold.
    assert fold_state(page, "concentration-table") == {"open": True, "summary": False}
    expect(page.get_by_test_id("concentration-table")).to_be_visible()
    page.wait_for_function(ALL_DRAWN)
    assert page.evaluate(BLANK_UNDER_CHARTS) == []
    # A material's contracted supply by country and per quarter: cards, none cut at the edge,
    # for the ministry and for the agency, which reads the tonnes in a column more.
    cut = "() => [...document.querySelectorAll('[data-testid^=contracted] td')].filter(td =>"
    cut += " td.getBoundingClientRect().right > window.innerWidth).map(td => td.textContent)"
    page.set_viewport_size({"width": 390, "height": 844})
    for reader in (ministry, analyst):
        page.context.clear_cookies()
        browser_login(reader)
        page.goto(f"{live_server.url}/supply/materials/lithium-hydroxide/")
        cards_on_a_phone(page)
        assert page.evaluate(cut) == []
    assert_accessible(page, "a material's supply on a phone")
    # World production by country, three columns, fits a phone whole: the longest country name
    # ("Kongo (Demokratische Republik)", cobalt's largest producer) pushed the share 5 px into a
    # sideways scroll.
    page.goto(f"{live_server.url}/supply/materials/cobalt-metal/")
    world = page.get_by_test_id("world-table")
    expect(world).to_contain_text("Kongo (Demokratische Republik)")
    assert (
        world.evaluate(
            "t => t.closest('.table-wrap').scrollWidth - t.closest('.table-wrap').clientWidth"
        )
        <= 0
    )
