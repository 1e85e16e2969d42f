"""In a real browser, in German: the ministry viewer runs an export-stop scenario for one
country; the result arrives through htmx without a page reload, shows the withheld quarter as
withheld and no stockpile tonne, and the page passes axe-core."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.cards import PHONE, cards_on_a_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ministry_runs_an_export_stop_scenario(
    live_server,
    page,
    browser_login,
    assert_accessible,
    ministry,
    lioh,
    cells,
    contract,
    stock,
    scenario_round,
):
    year = {f"2027-Q{q}": 1000 for q in (1, 2, 3, 4)}
    cells(lioh, year, contracted={q: 600 for q in year}, hidden=("2027-Q3",))
    contract("CL", {q: 600 for q in year})
    stock(lioh, "123.456")

    browser_login(ministry)
    page.goto(f"{live_server.url}/scenarios/")
    expect(page.locator("h1")).to_have_text("Exportstopp-Szenario")
    assert_accessible(page, "scenario form")
    page.evaluate("window.__noReload = true")  # survives only if the page is not reloaded
    page.select_option("#id_countries", ["CL"])
    page.fill("#id_first_quarter", "2027-Q2")
    page.get_by_test_id("run-scenario").click()

    result = page.get_by_test_id("bridge-table")
    expect(result).to_be_visible()
    assert page.evaluate("window.__noReload") is True
    expect(page.locator("#h-result")).to_contain_text("Exportstopp: CL ab 2027-Q2")
    row = result.locator("tr", has_text="Lithiumhydroxid")
    # Q2 and Q4 are disclosed: 2 x 600 t lost, 2 x 1,000 t uncovered; Q3 is withheld.
    expect(row).to_contain_text("1.200 t")
    expect(row).to_contain_text("2.000 t")
    expect(row).to_contain_text("unter Ziel")
    expect(page.get_by_test_id("uncovered-table")).to_contain_text("zurückgehalten")
    expect(page.locator("[data-figure] .main-svg").first).to_be_attached()
    html = page.content()
    assert "123,456" not in html and "123.456" not in html
    assert "first_quarter=2027-Q2" in page.url  # the result's address can be shared
    assert_accessible(page, "scenario result")

    # On a phone both tables are cards (what the stockpile bridges was cut at the screen's edge),
    # and the heat map names each material above its row of squares, whole, instead of in a left
    # margin that cut a long name at the chart's edge.
    assert cards_on_a_phone(page) > 0
    page.set_viewport_size(PHONE)
    page.reload()
    chart = page.locator("[data-figure]")
    expect(chart).to_have_attribute("data-chart-drawn", "true")
    materials = chart.evaluate("el => JSON.parse(el.dataset.figure).data[0].y")
    names = chart.locator(".annotation-text")
    assert sorted(names.evaluate_all("ts => ts.map(t => t.textContent)")) == sorted(materials)
    assert chart.locator(".ytick").count() == 0
    box = chart.bounding_box()
    for name in names.all():
        b = name.bounding_box()
        assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"]
    assert_accessible(page, "scenario result on a phone")


def test_on_a_phone_the_ministry_reads_each_materials_band(
    live_server, page, browser_login, assert_accessible, ministry, lioh, cells, stock
):
    """At 390 px each material of the stockpile bands is a card with its band in sight: in the
    table the band, the page's one answer, was cut at the screen's edge."""
    year = {f"2027-Q{q}": 1000 for q in (1, 2, 3, 4)}
    cells(lioh, year, contracted={q: 600 for q in year})
    stock(lioh, "123.456")
    browser_login(ministry)
    page.goto(f"{live_server.url}/agency/stockpile/bands/")
    expect(page.get_by_test_id("bands-table")).to_contain_text("Lithiumhydroxid")
    assert cards_on_a_phone(page) >= 1
    assert_accessible(page, "stockpile bands")


def test_on_a_phone_the_agency_reads_its_movements_and_releases(
    live_server, page, browser_login, assert_accessible, analyst, lioh, location, stock
):
    """At 390 px each movement and each release is a card, its tonnes in sight: in nine and six
    columns they were cut at the screen's edge."""
    from agency.stockpile import services

    stock(lioh, "120")
    stock(lioh, "30")
    services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t=Decimal("5"), reason="Bedarf"
    )
    browser_login(analyst)
    page.goto(f"{live_server.url}/agency/stockpile/movements/")
    expect(page.get_by_test_id("movements-table")).to_contain_text("120")
    assert cards_on_a_phone(page) == 3  # two purchases and the release
    assert_accessible(page, "stockpile movements")
    page.goto(f"{live_server.url}/agency/stockpile/releases/")
    # The release in review, and the empty list of decided ones.
    assert cards_on_a_phone(page) == 2
    assert_accessible(page, "stockpile releases")
