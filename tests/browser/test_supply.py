"""The ministry's dashboard in a real browser, in German: its supply sections render with their
charts (no CSP error), pass axe-core, and the briefing downloads as a PDF whose text holds the
disclosed figures and no hidden cell (docs/supply-security.md)."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

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


def test_on_a_phone_a_bar_chart_names_each_material_above_its_bars(
    page,
    live_server,
    browser_login,
    assert_accessible,
    ministry,
    world,  # noqa: F811
):
    """At 390 px the concentration chart's names stand above their bars across the chart's
    width, and its axis title is whole (in a left margin the names left the bars a sliver and
    the title "HHI (0 bis 10.000)" was cut at the chart's edge); at 1366 px the names stay at
    the axis."""
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
    assert_accessible(page, "ministry dashboard on a phone")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/")
    expect(chart).to_have_attribute("data-chart-drawn", "true")
    assert chart.evaluate(names) == []
    assert chart.locator(".ytick").count() == len(categories)
