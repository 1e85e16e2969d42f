"""Figures that cannot be misread: charts group and mark decimals in the reader's language, and
messages write tonnes, lots and shares through the core formatters (no "0,500000 t", no "2,381 t"
for two thousand tonnes in a German tooltip)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from contracts.allocations import services as allocation_services
from rohstoff.core.periods import Quarter

D = Decimal
NB = "\u00a0"
Q1 = Quarter(2027, 1).index
YEAR_2027 = [Q1, Q1 + 1, Q1 + 2, Q1 + 3]


@pytest.mark.parametrize(("language", "separators"), [("de", ",."), ("en", ".,")])
def test_contract_charts_use_the_readers_separators_and_tonnes_tooltips(
    login, desk, make_contract, sign, lioh, language, separators
):
    sign(make_contract(annual_volume_t=D("2381.5")))
    client = login(desk)
    dashboard = client.get("/contracts/dashboard/", HTTP_ACCEPT_LANGUAGE=language).context
    overview = client.get("/contracts/overview/", HTTP_ACCEPT_LANGUAGE=language).context
    charts = {
        "coverage": dashboard["coverage_chart"],
        "book": dashboard["book_chart"],
        "country": dashboard["country_chart"],
        "year": overview["chart"],
        "overview country": overview["country_chart"],
    }
    for name, chart in charts.items():
        assert chart["layout"]["separators"] == separators, name
    # Tonnes with up to three decimals and the unit; plotly puts in the separators.
    assert charts["book"]["data"][0]["hovertemplate"] == (
        f"%{{y}}: %{{x:,.3~f}}{NB}t<extra>%{{fullData.name}}</extra>"
    )
    assert charts["year"]["data"][0]["hovertemplate"] == (
        f"%{{x}}: %{{y:,.3~f}}{NB}t<extra>%{{fullData.name}}</extra>"
    )
    name = lioh.name_de if language == "de" else lioh.name_en
    assert charts["book"]["data"][0]["name"] == name
    assert charts["year"]["data"][0]["name"] == name
    assert overview["per_country"][0]["material_name"] == name


@pytest.fixture
def half_tonne_lots(make_contract, sign, desk, positions, firm_a, firm_b, lioh):
    """A released allocation of 10 t a quarter in lots of 0.5 t, among 15 and 6 t of demand:
    firm A's exact pro-rata share is 20 x 15 / 21 = 14.285714 lots, it gets 14 (7 t)."""
    positions({firm_a: D("15"), firm_b: D("6")}, lioh, YEAR_2027)
    contract = sign(make_contract(lot_size_t=D("0.500000")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    return allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )


def test_a_lot_size_message_reads_half_a_tonne(half_tonne_lots, desk, firm_a):
    allocation = half_tonne_lots.allocations.get(organisation=firm_a, quarter=Q1)
    with translation.override("de"), pytest.raises(ValidationError) as exc:
        allocation_services.allocation_override(
            allocation=allocation, actor=desk, quantity_t=D("7.2"), reason="Nachlieferung"
        )
    assert exc.value.message_dict["quantity_t"] == [f"Teilen Sie ganze Lose zu 0,5{NB}t zu."]
    with translation.override("de"), pytest.raises(ValidationError) as exc:
        allocation_services.allocation_override(
            allocation=allocation, actor=desk, quantity_t=D("16"), reason="Nachlieferung"
        )
    assert exc.value.message_dict["quantity_t"] == [
        f"Das Unternehmen hat 15{NB}t angefragt; ein Anteil kann nicht größer sein."
    ]


def test_the_desk_reads_the_new_share_in_tonnes(login, half_tonne_lots, desk, firm_a):
    allocation = half_tonne_lots.allocations.get(organisation=firm_a, quarter=Q1)
    response = login(desk).post(
        f"/contracts/allocations/{allocation.pk}/override/",
        {"quantity_t": "7,000", "reason": "Nachlieferung"},
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    assert message == f"Anteil von {firm_a.name} in 2027-Q1 auf 7{NB}t gesetzt."


def test_a_member_reads_its_explanation_in_lots_and_tonnes(
    login, half_tonne_lots, member_a, firm_a
):
    allocation = half_tonne_lots.allocations.get(organisation=firm_a, quarter=Q1)
    page = (
        login(member_a)
        .get(f"/contracts/allocations/{allocation.pk}/", HTTP_ACCEPT_LANGUAGE="de")
        .content.decode()
    )
    assert f"<dd>0,5{NB}t</dd>" in page
    assert f"15{NB}t = höchstens 30 ganze Lose" in page
    # 14.285714 lots of 0.5 t are 47.6 % of 15 t.
    assert "14,3 Lose, also 47,6 % Ihres verbleibenden verbindlichen Bedarfs" in page
    assert "0,500000" not in page and "14,285714" not in page
