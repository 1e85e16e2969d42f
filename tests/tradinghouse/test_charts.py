"""The positions dashboards as charts and tables (docs/charts.md): each material in its one
colour, key figures before the details, one sentence where nothing is disclosed, and quarters
that are not disclosed folded into one row or one line."""

import re
from types import SimpleNamespace

from django.urls import reverse

from rohstoff.core.charts import HIDDEN, material_colour
from rohstoff.core.models import Material
from tradinghouse import tables

from .test_pages import dashboard, figure


def test_each_material_keeps_its_colour_on_every_readers_dashboard(
    login, client, rich_round, desk, member_a, ministry
):
    lioh = Material.objects.get(code="lithium-hydroxide")
    colour = material_colour(lioh)
    desk_html = login(desk).get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    firm = next(t for t in figure(desk_html, "demand-figure")["data"] if t["name"] == "firm")
    assert firm["marker"]["color"] == colour
    top = figure(desk_html, "open-figure")["data"][0]
    lioh_bars = [c for c, y in zip(top["marker"]["color"], top["y"], strict=True) if "Lithium" in y]
    assert lioh_bars and set(lioh_bars) == {colour}
    assert top["marker"]["pattern"]["fgcolor"] == HIDDEN
    client.logout()
    member_html = login(member_a).get(dashboard(rich_round)).content.decode()
    pool = next(
        t for t in figure(member_html, "member-figure")["data"] if t["legendgroup"] == "pool"
    )
    assert pool["marker"]["color"] == colour
    client.logout()
    ministry_html = login(ministry).get(dashboard(rich_round)).content.decode()
    demand = next(
        t for t in figure(ministry_html, "coverage-figure")["data"] if t["legendgroup"] == "demand"
    )
    assert demand["marker"]["color"] == colour


def test_dashboards_lead_with_key_figures_and_fold_the_long_tables(login, rich_round, desk):
    html = login(desk).get(dashboard(rich_round)).content.decode()
    assert html.index('data-testid="stat-cells"') < html.index("data-chart=")
    # the answer (largest open positions) before the demand per quarter
    assert html.index('data-chart="open-figure"') < html.index('data-chart="demand-figure"')
    for folded in ("all-positions", "element-rollup"):
        assert re.search(rf'<details class="more[^"]*" data-testid="{folded}">', html), folded
    assert "<details" not in html[: html.index('data-chart="demand-figure"')]


def test_a_material_never_disclosed_is_one_line_and_not_an_empty_chart(
    login, rich_round, member_a, ministry, client
):
    """Terbium's only cell is hidden (p% rule): no panel with empty axes, one sentence naming
    it, one line in each table instead of a row per quarter."""
    for user, chart in ((member_a, "member-figure"), (ministry, "coverage-figure")):
        client.logout()
        html = login(user).get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        drawn = {a["text"] for a in figure(html, chart)["layout"]["annotations"]}
        assert drawn == {"Lithiumhydroxid-Monohydrat"}
        named = re.search(r'data-testid="undisclosed-materials">(.*?)</p>', html, re.S).group(1)
        assert named == "In keinem Quartal offengelegt, daher nicht dargestellt: Terbiumoxid."
        assert 'data-testid="hidden-material-terbium-oxide"' in html
        assert "In keinem Quartal dieser Auswahl offengelegt" in html
        assert 'data-testid="hidden-element-Tb"' in html  # the roll-up folds the same way


def test_nothing_disclosed_reads_as_one_sentence(login, rich_round, ministry, member_a, client):
    selection = {"material": "terbium-oxide"}
    for user in (ministry, member_a):
        client.logout()
        html = (
            login(user)
            .get(dashboard(rich_round), selection, HTTP_ACCEPT_LANGUAGE="en")
            .content.decode()
        )
        assert 'data-testid="nothing-disclosed"' in html
        assert "Nothing in this selection may be disclosed yet" in html
        assert "data-chart=" not in html and "not disclosed</td>" not in html


def test_the_desk_sees_every_material_drawn(login, rich_round, desk):
    html = login(desk).get(dashboard(rich_round), {"material": "terbium-oxide"}).content.decode()
    assert 'data-testid="nothing-disclosed"' not in html
    assert {a["text"] for a in figure(html, "demand-figure")["layout"]["annotations"]} == {
        "Terbiumoxid"
    }


def _cell(material, period, visible):
    return SimpleNamespace(
        material=material,
        period=period,
        visible=visible,
        parts_visible=visible,
        demand_t=1 if visible else None,
        demand_firm_t=1,
        demand_indicative_t=0,
        contributors=5,
        contracted_t=0,
        covered_directly_t=0,
        allocated_t=0,
        open_t=1,
        coverage=0,
    )


def test_quarters_not_disclosed_one_after_another_read_as_one_row(db):
    lioh = Material.objects.get(code="lithium-hydroxide")
    shown = ["2027-Q1", "2028-Q3"]
    quarters = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4", "2028-Q1", "2028-Q2", "2028-Q3"]
    html = str(tables.public_rows([_cell(lioh, q, q in shown) for q in quarters]))
    rows = re.findall(r'<th scope="row">(.*?)</th>', html)
    assert rows == ["2027-Q1", "2027-Q2 – 2028-Q2", "2028-Q3"]
    assert html.count('data-testid="hidden-cell"') == 1


def test_dashboard_pages_still_answer_anonymous_with_the_login(client, rich_round):
    response = client.get(reverse("tradinghouse:round_dashboard", args=[rich_round.pk]))
    assert response.status_code == 302


def test_every_position_names_its_disclosure_in_the_readers_language(db):
    """The desk's and agency's table of every position: the disclosed badge and each card's
    names are German for a German reader (the badge said "disclosed")."""
    from django.utils import translation

    lioh = Material.objects.get(code="lithium-hydroxide")
    cell = SimpleNamespace(
        **vars(_cell(lioh, "2027-Q1", True)),
        disclosed=True,
        largest_share=0.4,
        direct_disclosed=True,
    )
    with translation.override("de"):
        html = str(tables.trustee_rows([cell], desk=True))
    assert '<span class="badge badge--open">offengelegt</span>' in html
    labels = re.findall(r'data-label="([^"]+)"', html)
    assert labels[0] == "Nachfrage (t)" and labels[-1] == "Offenlegung"
    assert len(labels) == 11  # every figure of the desk's twelve columns but the quarter
    with translation.override("en"):
        assert ">disclosed</span>" in str(tables.trustee_rows([cell], desk=True))
