"""Chart pages in a real browser (docs/charts.md): no console error and no Content-Security-
Policy violation while the charts draw and while a reader hovers them, German tooltips with
German separators, the heat map drawn crisp without an inline style, a material in the same
colour on two pages, and one sentence where nothing is disclosed."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from rohstoff.core.charts import material_colour
from rohstoff.core.models import Material

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every CSP violation, including those the console would not show as an error.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page with its console errors and CSP violations recorded."""
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(RECORD_VIOLATIONS)

    def check(context):
        violations = page.evaluate("window.__violations")
        assert not errors and not violations, (context, errors, violations)

    return check


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _drawn(page, chart_id):
    chart = page.locator(f'[data-chart="{chart_id}"]')
    expect(chart).to_have_attribute("data-chart-drawn", "true")
    return chart


def _bar_fill(chart, nth=0):
    return (
        chart.locator(".trace.bars .point path")
        .nth(nth)
        .evaluate("el => getComputedStyle(el).fill")
    )


def test_chart_pages_draw_without_a_console_error_and_tooltips_read_german(
    live_server, page, browser_login, watched, rich_round, desk
):
    browser_login(desk)
    page.goto(live_server.url + reverse("tradinghouse:round_dashboard", args=[rich_round.pk]))
    _drawn(page, "demand-figure")
    _drawn(page, "open-figure")
    # hover the terbium bar (46.6 t, hidden from members): the tooltip reads "46,6 t"
    labels = page.evaluate(
        "JSON.parse(document.getElementById('open-figure').textContent).data[0].y"
    )
    nth = next(i for i, label in enumerate(labels) if label.startswith("Terbium"))
    terbium = page.locator('[data-chart="open-figure"] .trace.bars .point path').nth(nth)
    terbium.scroll_into_view_if_needed()
    box = terbium.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator('[data-chart="open-figure"] .hoverlayer')).to_contain_text("46,6\u00a0t")
    watched("desk dashboard")

    page.goto(live_server.url + reverse("contracts:dashboard"))
    _drawn(page, "coverage-chart")
    image = page.locator('[data-chart="coverage-chart"] .heatmaplayer image')
    # plotly.js did not try to set it inline (the CSP would refuse): our stylesheet sets it
    assert "image-rendering" not in (image.get_attribute("style") or "")
    assert image.evaluate("el => getComputedStyle(el).imageRendering") in (
        "pixelated",
        "crisp-edges",
    )
    expect(page.get_by_test_id("coverage-key")).to_be_visible()
    watched("contracts dashboard")


def test_a_material_has_the_same_colour_on_two_pages_and_nothing_disclosed_is_one_sentence(
    live_server, page, browser_login, watched, rich_round, member_a
):
    lioh = Material.objects.get(code="lithium-hydroxide")
    browser_login(member_a)
    url = live_server.url + reverse("tradinghouse:round_dashboard", args=[rich_round.pk])
    page.goto(url)
    member = _drawn(page, "member-figure")
    top = _drawn(page, "open-figure")
    assert _bar_fill(member) == _bar_fill(top) == _rgb(material_colour(lioh))
    expect(page.get_by_test_id("undisclosed-materials")).to_contain_text("Terbiumoxid")
    watched("member dashboard")

    page.goto(url + "?material=terbium-oxide")
    expect(page.get_by_test_id("nothing-disclosed")).to_have_text(
        "In dieser Auswahl darf noch nichts offengelegt werden: In jedem Quartal tragen zu wenige"
        " Firmen bei, oder der Anteil einer Firma überwiegt."
    )
    expect(page.locator("[data-chart]")).to_have_count(0)
    watched("member dashboard, nothing disclosed")
