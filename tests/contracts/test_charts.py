"""The offtake book's charts share the positions dashboards' rules (docs/charts.md): each
material in its one colour, the coverage heat map drawn crisp with a key of its own (plotly's
colour bar and its scaled-down heat map both need inline styles, which the CSP refuses)."""

from decimal import Decimal

from rohstoff.core.charts import COVERAGE_SCALE, material_colour
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index


def test_a_material_has_the_same_colour_in_every_contract_chart(
    login, desk, make_contract, sign, lioh, li2co3, positions, firms
):
    positions({firm: D("10") for firm in firms[:5]}, lioh, [Q1])
    sign(make_contract())
    sign(make_contract(material=li2co3, reference="OFF-T-CARB"))
    client = login(desk)
    dashboard = client.get("/contracts/dashboard/").context
    overview = client.get("/contracts/overview/").context
    for name, chart in (
        ("book", dashboard["book_chart"]),
        ("country", dashboard["country_chart"]),
        ("year", overview["chart"]),
        ("overview country", overview["country_chart"]),
    ):
        colours = {t["name"]: t["marker"]["color"] for t in chart["data"]}
        assert colours == {
            lioh.name_de: material_colour(lioh),
            li2co3.name_de: material_colour(li2co3),
        }, name


def test_the_coverage_heat_map_needs_no_inline_style(login, desk, positions, lioh, firms):
    positions({firm: D("10") for firm in firms[:5]}, lioh, [Q1, Q1 + 1])
    response = login(desk).get("/contracts/dashboard/")
    heatmap = response.context["coverage_chart"]["data"][0]
    assert heatmap["type"] == "heatmap"
    # gaps make plotly draw at full resolution (crisp) without the style attribute it would set
    assert heatmap["xgap"] >= 1 and heatmap["ygap"] >= 1
    assert heatmap["showscale"] is False and heatmap["colorscale"] == COVERAGE_SCALE
    assert 'data-testid="coverage-key"' in response.content.decode()
